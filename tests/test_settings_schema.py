"""Settings are checked before anything runs: settings.yaml, lists.yaml and the forms against a schema, every
mistake at once with its file, key and line, in Vietnamese, exit 2; nothing rewritten silently. A wrong setting is
the office's mistake, never the units': no return is judged while it stands, and once it is fixed every return
is read and accepted."""

from __future__ import annotations

import shutil

from click.testing import CliRunner
from conftest import make_return, rows_of, task

from toolkit.cli import cli
from toolkit.store import Store


def run(*args):
    r = CliRunner().invoke(cli, [str(a) for a in args])
    assert not r.exception or isinstance(r.exception, SystemExit), repr(r.exception)
    return r.exit_code, " ".join(r.output.split())


def _set(ws, old: str, new: str) -> None:
    path = ws.root / "settings.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _line(ws, needle: str) -> int:
    lines = (ws.root / "settings.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, ln in enumerate(lines, start=1) if needle in ln)


def test_bad_settings_stop_the_round_and_no_return_is_blamed(ctx):
    """The drill of issue 27 point 2: wrong types in settings.yaml; every mistake said at once; after the fix every
    unit's rows are in the consolidated workbook."""
    for code in ("XLS", "XKB", "XTL"):
        make_return(ctx, "registration", code, "2025", [task(f"{code}-01")], name=f"{code}.xlsx")
    saved = (ctx.ws.root / "settings.yaml").read_text(encoding="utf-8")
    _set(ctx.ws, "timeout_s: 60", "timeout_s: -5")
    _set(ctx.ws, "max_rows: 5000", "max_rows: abc")
    _set(ctx.ws, "worker_memory_mb: 3072", "worker_memory_mb: 10")
    code, out = run("collect", ctx.ws.root, "--period", "2025")
    assert code == 2
    assert out == ("Lỗi: Cấu hình có lỗi, chưa chạy gì (sửa rồi chạy lại lệnh): "
                   f"- settings.yaml, dòng {_line(ctx.ws, 'max_rows')}, intake.max_rows: phải là số nguyên (đang là 'abc') "
                   f"- settings.yaml, dòng {_line(ctx.ws, 'timeout_s')}, intake.timeout_s: phải lớn hơn 0 (đang là -5) "
                   f"- settings.yaml, dòng {_line(ctx.ws, 'worker_memory_mb')}, intake.worker_memory_mb: phải từ 256 "
                   "(hoặc 0: không giới hạn) (đang là 10)")
    assert (ctx.ws.root / "settings.yaml").read_text(encoding="utf-8") != saved  # not rewritten behind the clerk
    with Store(ctx.ws.db_path) as store:
        assert store.submissions() == []  # nothing judged, nothing recorded against a unit
    (ctx.ws.root / "settings.yaml").write_text(saved, encoding="utf-8")
    assert run("collect", ctx.ws.root, "--period", "2025")[0] == 0
    assert run("merge", ctx.ws.root, "--period", "2025")[0] == 0
    merged = rows_of(ctx.ws.root / "rounds/2025/output/tong_hop_dang_ky_2025.xlsx", "Dữ liệu")
    assert sorted(r["Mã nhiệm vụ"] for r in merged if r["Tệp nguồn"]) == ["XKB-01", "XLS-01", "XTL-01"]


def test_malformed_settings_files_are_said_in_vietnamese_and_never_rewritten(ws):
    path = ws.root / "settings.yaml"
    cases = {
        "- a\n- b\n": "settings.yaml, (cấp đầu): phải là bảng 'khoá: giá trị' (office, periods, intake...), không phải "
                      "một danh sách",
        "": "settings.yaml: tệp rỗng. Không tự ghi lại cấu hình mặc định (sẽ mất các kỳ, hạn nộp, thông tin văn bản "
            "của Văn phòng): khôi phục tệp từ bản sao lưu, hoặc chép cấu hình mẫu rồi sửa",
        "office:\n  name: Tỉnh ủy: Hòa An\n": "settings.yaml, dòng 2, cột 16: dấu ':' đặt sai chỗ (giá trị có dấu ':' "
                                             "cần đặt trong dấu nháy)",
        "office:\n\tname: x\n": "settings.yaml, dòng 2, cột 1: có ký tự không dùng được ở đầu giá trị (thường là phím "
                                "Tab: thụt lề bằng dấu cách)",
        "periods: 5\nintake: [1]\n": "settings.yaml, dòng 2, intake: phải là bảng 'khoá: giá trị' (đang là [1]) - "
                                     "settings.yaml, dòng 1, periods: phải là bảng 'kỳ: {deadline: dd/mm/yyyy, forms: "
                                     "[...]}' (đang là 5)",
        "periods:\n  2025:\n    deadline: 31/13/2025\n  2025-Q7: {}\n": "settings.yaml, dòng 3, periods.2025.deadline: "
                                                                     "không phải ngày (dùng dạng 31/01/2026) (đang là "
                                                                     "'31/13/2025') - settings.yaml, dòng 4, "
                                                                     "periods.2025-Q7: không phải kỳ báo cáo",
    }
    for text, said in cases.items():
        path.write_text(text, encoding="utf-8")
        for command in (["status", ws.root, "--period", "2025"], ["init", ws.root]):
            code, out = run(*command)
            assert code == 2 and said in out, (text, out)
            assert path.read_text(encoding="utf-8") == text  # nothing rewritten
    path.write_bytes(b"\x00\x01binary\xff")
    code, out = run("collect", ws.root, "--period", "2025")
    assert code == 2 and "settings.yaml: không phải tệp văn bản (tệp nhị phân?)" in out
    assert "Traceback" not in out


def test_lists_and_forms_mistakes_carry_file_key_and_line(ws):
    forms = ws.root / "forms"
    (forms / "lists.yaml").write_text("areas: 5\nstatuses:\n  - Hoàn thành\n", encoding="utf-8")
    code, out = run("collect", ws.root, "--period", "2025")
    assert code == 2
    assert (f"{forms / 'lists.yaml'}, dòng 1, areas: phải là danh sách giá trị (mỗi dòng bắt đầu bằng '- '), "
            f"đang là 5") in out
    (forms / "lists.yaml").unlink()
    from toolkit.definitions.forms import shipped_dir

    shutil.copyfile(shipped_dir() / "progress.yaml", forms / "progress.yaml")
    text = (forms / "progress.yaml").read_text(encoding="utf-8")
    (forms / "progress.yaml").write_text(text.replace("periods: [", "periods: 5 #[", 1).replace(
        "type: percent", "type: phantram", 1), encoding="utf-8")
    code, out = run("forms", "check", ws.root)
    assert code == 1
    assert f"{forms / 'progress.yaml'}.periods: phải là danh sách loại kỳ" in out and "(dòng 7)" in out
    assert "].type: 'phantram' không hợp lệ" in out
    assert run("status", ws.root, "--period", "2025-H1")[0] == 2


def test_settings_and_lists_mistakes_are_said_together(ws):
    (ws.root / "forms" / "lists.yaml").write_text("areas: 5\n", encoding="utf-8")
    _set(ws, "timeout_s: 60", "timeout_s: 0")
    code, out = run("collect", ws.root, "--period", "2025")
    assert code == 2
    assert (f"- settings.yaml, dòng {_line(ws, 'timeout_s')}, intake.timeout_s: phải lớn hơn 0 (đang là 0) "
            f"- {ws.root / 'forms' / 'lists.yaml'}, dòng 1, areas: phải là danh sách giá trị") in out
