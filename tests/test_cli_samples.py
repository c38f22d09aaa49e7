"""CLI contract (exit codes, --json equals the library), samples manifest, real-world corpus, docs in step."""

import json
import time

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import REALWORLD, ROOT, make_return, require_realworld, task

from toolkit.cli import cli
from toolkit.intake.collect import collect
from toolkit.issues import catalogue_markdown
from toolkit.periods import parse_period
from toolkit.round import open_round
from toolkit.samples import install_round
from toolkit.store import Store
from toolkit.workspace.config import init_workspace
from toolkit.workspace.units import write_sample_registry


def test_cli_init_templates_collect_exit_codes(tmp_path):
    runner = CliRunner()
    ws = tmp_path / "w"
    r = runner.invoke(cli, ["init", str(tmp_path / "empty"), "--office", "Tỉnh ủy Sơn Mai", "--period", "2025"])
    assert r.exit_code == 0 and "Chưa có --units: điền danh sách đơn vị trực thuộc" in r.output
    assert "Kỳ 2025: hạn nộp thông thường 31/01/2025 đã qua nên đặt hạn" in r.output  # today is later: said so
    units = openpyxl.load_workbook(tmp_path / "empty" / "don_vi.xlsx")["Đơn vị"]
    assert [c.value for c in units[2]][:3] == ["TU", "Tỉnh ủy Sơn Mai", ""] and units.max_row == 2  # no other province
    r = runner.invoke(cli, ["templates", str(tmp_path / "empty"), "--form", "registration", "--period", "2025"])
    assert r.exit_code == 0 and "Đã tạo 0 biểu mẫu" in r.output and "chưa có đơn vị trực thuộc" in r.output
    write_sample_registry(tmp_path / "don_vi.xlsx")
    r = runner.invoke(cli, ["init", str(ws), "--office", "Tỉnh ủy Sơn Mai", "--period", "2025",
                            "--units", str(tmp_path / "don_vi.xlsx")])
    assert r.exit_code == 0 and "Đã tạo thư mục làm việc" in r.output
    r = runner.invoke(cli, ["templates", str(ws), "--form", "registration", "--period", "2025", "--units", "XLS,XCP"])
    assert r.exit_code == 0 and "Đã tạo 2 biểu mẫu" in r.output
    r = runner.invoke(cli, ["collect", str(ws), "--period", "2025"])
    assert r.exit_code == 0 and "0 tệp" in r.output
    r = runner.invoke(cli, ["collect", str(ws), "--period", "2025-Q7"])
    assert r.exit_code == 2 and "Kỳ báo cáo '2025-Q7' không hợp lệ" in r.output
    r = runner.invoke(cli, ["collect", str(tmp_path / "nowhere"), "--period", "2025"])
    assert r.exit_code == 2 and "không phải thư mục làm việc" in r.output
    r = runner.invoke(cli, ["templates", str(ws), "--form", "nope", "--period", "2025"])
    assert r.exit_code == 2 and "Không có biểu mẫu 'nope'" in r.output


def test_cli_collect_json_equals_library_and_exit_1_on_errors(ws, ctx):
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", area="Sai")])
    r = CliRunner().invoke(cli, ["collect", str(ws.root), "--period", "2025", "--json"])
    assert r.exit_code == 1
    data = json.loads(r.output)
    assert data["summary"]["rejected"] == 1 and data["files"][0]["issues"][0]["code"] == "choice-error"
    assert data["files"][0]["issues"][0]["cell"] == "B7"
    r = CliRunner().invoke(cli, ["status", str(ws.root), "--period", "2025", "--json"])
    assert r.exit_code == 1 and json.loads(r.output)["rates"]["rejected"] == 1  # a rejected file: exit 1 (README)


def test_forms_check_reports_and_exit_code(tmp_path):
    assert CliRunner().invoke(cli, ["forms", "check"]).exit_code == 0
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "x.yaml").write_text("id: x\nversion: one\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["forms", "check", str(tmp_path)])
    assert r.exit_code == 1 and "x.yaml.version: phải là int" in r.output


def test_every_command_has_help_and_is_in_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, cmd in cli.commands.items():
        assert cmd.help, name
        assert f"toolkit {name}" in readme, f"README does not mention 'toolkit {name}'"


def test_issue_code_reference_is_generated_from_the_catalogue():
    assert (ROOT / "docs" / "issue-codes.md").read_text(encoding="utf-8") == catalogue_markdown(), \
        "regenerate with: toolkit codes --markdown > docs/issue-codes.md"


def test_sample_workbooks_trigger_documented_codes(tmp_path):
    samples = ROOT / "sample_workbooks"
    manifest = json.loads((samples / "manifest.json").read_text(encoding="utf-8"))
    readme = (samples / "README.md").read_text(encoding="utf-8")
    ws = init_workspace(tmp_path / "w", units=samples / "don_vi.xlsx")
    for code, deadline in manifest["deadlines"].items():
        ws.set_period(parse_period(code), __import__("datetime").datetime.strptime(deadline, "%d/%m/%Y").date())
    for which in ("registration", "progress", "yearend"):
        if which == "yearend":  # the office approved the 6-month request before the year-end templates went out
            with Store(ws.db_path) as store:
                (request,) = store.adjustments(manifest["periods"]["registration"], pending_only=True)
                assert (request["unit_code"], request["task_code"]) == (manifest["adjustment"]["unit"],
                                                                        manifest["adjustment"]["task"])
                store.decide_adjustment(request["id"], "approved", manifest["adjustment"]["decision_ref"], None)
        install_round(samples, ws, which)
        result = collect(open_round(ws, manifest["periods"][which]), feedback=False)
        assert len(result.files) == sum(name.startswith(which + "/") for name in manifest["files"])
        for f in result.files:
            entry = manifest["files"][f"{which}/{f.file}"]
            assert sorted({i.code for i in f.issues}) == sorted(entry["codes"]), f.file
            if not entry["codes"]:
                assert f.status == "accepted", f.file
            for code in entry["codes"]:
                assert code in readme, f"sample_workbooks/README.md does not document {code}"


def test_realworld_corpus_is_reported_never_crashes(tmp_path):
    require_realworld()
    files = sorted(p for p in REALWORLD.iterdir() if p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"))
    ws = init_workspace(tmp_path / "w", periods=["2025"])
    inbox = ws.round_dir("2025", "inbox")
    for p in files:
        (inbox / p.name).write_bytes(p.read_bytes())
    started = time.perf_counter()
    result = collect(open_round(ws, "2025"), feedback=False)
    elapsed = time.perf_counter() - started
    by_name = {f.file: f for f in result.files}
    assert len(by_name) == len(files)
    verdicts = {"form-unidentified", "file-unreadable", "file-encrypted", "file-not-spreadsheet", "file-too-large",
                "file-timeout", "file-empty", "file-failed", "unit-unidentified"}
    for name, f in by_name.items():  # only spreadsheets were copied: none is skipped, each gets one verdict
        assert f.status == "rejected", name
        assert len([i for i in f.issues if i.code in verdicts]) == 1, (name, [i.code for i in f.issues])
    assert elapsed < 120, elapsed


@pytest.mark.slow  # regenerates the whole sample province (~40 s): `make test-slow`, CI
def test_the_sample_generator_reproduces_the_committed_samples(tmp_path):
    """`make samples` (toolkit.samples) and sample_workbooks/ in step: same files, same manifest, same cell values."""
    from python_calamine import CalamineWorkbook

    from toolkit.samples import generate

    out = tmp_path / "samples"
    manifest = generate(out)
    committed = ROOT / "sample_workbooks"
    assert manifest == json.loads((committed / "manifest.json").read_text(encoding="utf-8"))
    listing = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert listing == sorted(p.relative_to(committed).as_posix() for p in committed.rglob("*") if p.is_file())
    assert (out / "README.md").read_text(encoding="utf-8") == (committed / "README.md").read_text(encoding="utf-8")

    def values(path):
        try:
            wb = CalamineWorkbook.from_path(str(path))
        except Exception as exc:  # noqa: BLE001 - samples no reader opens must fail alike, whatever the error
            return type(exc).__name__
        sheets = {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}
        if "_meta" in sheets:  # when the template was built differs between two runs, nothing else may
            sheets["_meta"] = [r for r in sheets["_meta"] if r[0] != "generated_at"]
        return sheets

    for name in listing:
        if name.endswith((".xlsx", ".xls", ".xlsm", ".ods")) and name != "don_vi.xlsx":
            assert values(out / name) == values(committed / name), name
