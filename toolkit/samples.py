"""Reproducible sample rounds (fixed seed): the sample province, its registration round and its 6-month
progress round, with the damage real units do. Used by `make samples`, the demo, tests and benchmarks.

    python -m toolkit.samples sample_workbooks
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
from openpyxl.styles import Font

from .context import load_context
from .intake.collect import collect
from .issues import CATALOGUE
from .outputs.pdf import find_soffice, profile_argument
from .outputs.templates import build_templates
from .periods import parse_period
from .round import open_round
from .text import TCVN3_TABLE
from .workspace.config import Workspace, init_workspace

REG_PERIOD, PROG_PERIOD, YEAREND_PERIOD = "2025", "2025-H1", "2025-Y"
REG_DEADLINE, PROG_DEADLINE, YEAREND_DEADLINE = date(2025, 1, 31), date(2025, 7, 10), date(2025, 12, 20)
# the one request to adjust in the samples: a unit asks in its 6-month report to extend a task due in September
ADJUST_UNIT, ADJUST_NEW_DEADLINE = "BTC", date(2025, 12, 15)
ADJUST_REASON = "Lịch gọi công dân nhập ngũ đợt 2 của tỉnh chuyển sang tháng 11/2025"
ADJUST_DECISION = "Công văn số 125-CV/TU ngày 15/7/2025 của Ban Thường vụ Tỉnh ủy"

# (area, title pattern, indicator, unit of measure, baseline range, target range)
TASK_BANK = [
    ("Xây dựng Đảng", "Kết nạp đảng viên mới tại {place}", "Số đảng viên mới kết nạp", "đảng viên", (20, 60), (30, 90)),
    ("Xây dựng Đảng", "Kiện toàn, nâng chất lượng sinh hoạt chi bộ ở {place}", "Tỷ lệ chi bộ xếp loại tốt",
     "%", (60, 80), (85, 95)),
    ("Xây dựng Đảng", "Kiểm tra, giám sát tổ chức đảng và đảng viên thuộc {place}", "Số cuộc kiểm tra, giám sát",
     "cuộc", (5, 12), (12, 20)),
    ("Kinh tế – xã hội", "Hoàn thành đường giao thông nông thôn liên thôn tại {place}", "Chiều dài đường hoàn thành",
     "km", (2, 8), (10, 25)),
    ("Kinh tế – xã hội", "Tăng thu ngân sách trên địa bàn {place}", "Tổng thu ngân sách", "tỷ đồng", (40, 90),
     (95, 140)),
    ("Kinh tế – xã hội", "Giảm tỷ lệ hộ nghèo đa chiều của {place}", "Số hộ thoát nghèo", "hộ", (30, 80), (60, 150)),
    ("Kinh tế – xã hội", "Phát triển sản phẩm OCOP đạt 3 sao trở lên của {place}", "Số sản phẩm OCOP mới", "sản phẩm",
     (1, 4), (3, 8)),
    ("Cải cách hành chính", "Nâng tỷ lệ hồ sơ thủ tục hành chính giải quyết trực tuyến toàn trình tại {place}",
     "Tỷ lệ hồ sơ trực tuyến toàn trình", "%", (40, 60), (70, 90)),
    ("Cải cách hành chính", "Số hoá hồ sơ, kết quả giải quyết thủ tục hành chính của {place}",
     "Tỷ lệ hồ sơ được số hoá", "%", (30, 60), (80, 100)),
    ("Quốc phòng – an ninh", "Xây dựng mô hình khu dân cư an toàn về an ninh trật tự tại {place}",
     "Số khu dân cư đạt chuẩn an toàn", "khu", (3, 8), (8, 15)),
    ("Quốc phòng – an ninh", "Hoàn thành chỉ tiêu tuyển quân năm 2025 của {place}", "Số thanh niên nhập ngũ",
     "người", (20, 40), (25, 50)),
    ("Dân vận", "Vận động nhân dân hiến đất mở rộng đường, xây dựng nhà văn hoá ở {place}", "Diện tích đất được hiến",
     "m2", (500, 2000), (2000, 6000)),
    ("Văn hóa – xã hội", "Nâng tỷ lệ người dân tham gia bảo hiểm y tế tại {place}", "Tỷ lệ bao phủ bảo hiểm y tế",
     "%", (85, 92), (93, 97)),
]
RESULT_BANK = [
    "Đã tổ chức {n} hội nghị triển khai, phân công cụ thể cho từng chi bộ; kết quả đạt {pct}% kế hoạch năm.",
    "Hoàn thành {pct}% khối lượng; đã giải ngân {n} tỷ đồng, các hạng mục còn lại đang thi công đúng tiến độ.",
    "Đã rà soát {n} hồ sơ, hướng dẫn người dân sử dụng dịch vụ công trực tuyến; tỷ lệ đạt {pct}%.",
    "Phối hợp với Mặt trận và các đoàn thể vận động được {n} hộ tham gia; tiến độ đạt {pct}% so với cam kết.",
    "Kiểm tra {n} tổ chức đảng, kết luận rõ ưu điểm, hạn chế; đã đôn đốc khắc phục sau kiểm tra, đạt {pct}%.",
]
PROPOSALS = [
    "Đề nghị tỉnh sớm bố trí vốn đối ứng cho các công trình giao thông nông thôn.",
    "Đề nghị Sở Nội vụ hướng dẫn thống nhất quy trình số hoá hồ sơ lưu trữ.",
    "Kiến nghị tăng cường phối hợp giữa các sở, ngành trong giải phóng mặt bằng.",
    None, None, None,
]
PLACE = {  # short place names used in titles
    "BTC": "khối cơ quan tỉnh", "BTG": "các khu dân cư toàn tỉnh", "UBKT": "các đảng bộ trực thuộc",
    "DUUB": "khối chính quyền tỉnh", "DUCQ": "khối cơ quan Đảng", "QSU": "lực lượng vũ trang tỉnh",
}


def _place(unit) -> str:
    return PLACE.get(unit.code) or unit.name.replace("Đảng ủy ", "")


def registration_rows(unit, rng: random.Random, n: int = 8, leaders=()) -> list[dict]:
    picks = rng.sample(TASK_BANK, k=min(n, len(TASK_BANK)))
    rows = []
    for i, (area, title, indicator, um, base, tgt) in enumerate(picks, start=1):
        deadline = date(2025, rng.choice([6, 9, 12]), rng.choice([15, 30]))
        target = rng.randint(*tgt)
        rows.append({
            "task_code": f"{unit.code}-{i:02d}", "area": area, "kind": rng.choice(["Trọng tâm", "Trọng tâm", "Cam kết"]),
            "title": f"{title.format(place=_place(unit))}, phấn đấu đạt {target} {um} trong năm",
            "parent_code": None,
            "leader_id": leaders[0] if leaders else None, "coordinators": None, "indicator": indicator,
            "unit_measure": um, "baseline": min(rng.randint(*base), target), "target": target,  # a rising target
            "start_date": date(2025, 1, 1), "deadline": deadline, "weight": 1, "note": None,
        })
    return rows


def progress_rows(tasks: list[dict], rng: random.Random, unit_code: str) -> list[dict]:
    rows = []
    for t in tasks:
        deadline = date.fromisoformat(t["deadline"]) if isinstance(t["deadline"], str) else t["deadline"]
        target = t.get("target") or 0
        if deadline <= date(2025, 6, 30):
            status = rng.choice(["Hoàn thành", "Hoàn thành", "Hoàn thành vượt mức", "Chậm tiến độ"])
        else:
            status = rng.choice(["Đang thực hiện – đúng tiến độ"] * 4 + ["Chậm tiến độ", "Chưa triển khai"])
        pct = {"Hoàn thành": 100, "Hoàn thành vượt mức": 100, "Chưa triển khai": 0}.get(status, rng.randint(35, 85))
        actual = round(target * (pct / 100) * (1.1 if status == "Hoàn thành vượt mức" else 1), 1) if target else None
        completed_on = date(2025, rng.randint(3, 6), rng.randint(1, 28)) if pct == 100 else None
        if completed_on and completed_on > deadline:
            completed_on = deadline
        cause = rng.choice(["Thiếu nguồn lực (kinh phí, nhân lực)", "Phụ thuộc nhà đầu tư, doanh nghiệp",
                            "Chờ hướng dẫn, ý kiến của trung ương, bộ ngành",
                            "Phối hợp giữa các đơn vị chưa chặt chẽ"]) if status == "Chậm tiến độ" else None
        text = rng.choice(RESULT_BANK).format(n=rng.randint(3, 40), pct=pct)
        rows.append({"status": status, "percent": pct, "actual": actual, "completed_on": completed_on,
                     "results": f"{text} ({t['task_code']}, {unit_code})",
                     "difficulties": "Nguồn lực còn hạn chế." if cause else None, "delay_cause": cause,
                     "proposals": rng.choice(PROPOSALS), "evidence": f"{rng.randint(10, 300)}-BC/ĐU"})
    return rows


# --- writing into a unit's template as the unit would ---------------------------------------------

def fill(template: Path, out: Path, sheets: dict[str, list[dict]], columns_by_sheet: dict[str, list[str]],
         first_row_by_sheet: dict[str, int], font: str | None = None) -> Path:
    wb = openpyxl.load_workbook(template)
    for sheet_name, rows in sheets.items():
        ws = wb[sheet_name]
        cols = columns_by_sheet[sheet_name]
        for i, row in enumerate(rows):
            for c, name in enumerate(cols, start=1):
                if name not in row:
                    continue
                cell = ws.cell(row=first_row_by_sheet[sheet_name] + i, column=c, value=row[name])
                if isinstance(row[name], str):
                    cell.data_type = "s"
                if font and isinstance(row[name], str):
                    cell.font = Font(name=font)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def encode_tcvn3(text: str) -> str:
    reverse = {v: k for k, v in TCVN3_TABLE.items() if len(v) == 1 and not unicodedata.combining(v)}
    return "".join(reverse.get(ch, ch) for ch in unicodedata.normalize("NFC", text))


_VNI_ENC = {"ư": "ö", "ơ": "ô", "đ": "ñ", "Ư": "Ö", "Ơ": "Ô", "Đ": "Ñ", "ỉ": "æ", "ĩ": "ó", "ị": "ò", "ỵ": "î",
            "Ỉ": "Æ", "Ĩ": "Ó", "Ị": "Ò", "Ỵ": "Î", "í": "í", "ì": "ì", "Í": "Í", "Ì": "Ì"}
_VNI_MARK = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_VNI_SHAPE = {("\u0302", ""): "â", ("\u0302", "\u0301"): "á", ("\u0302", "\u0300"): "à", ("\u0302", "\u0309"): "å",
              ("\u0302", "\u0303"): "ã", ("\u0302", "\u0323"): "ä", ("\u0306", ""): "ê", ("\u0306", "\u0301"): "é",
              ("\u0306", "\u0300"): "è", ("\u0306", "\u0309"): "ú", ("\u0306", "\u0303"): "ü", ("\u0306", "\u0323"): "ë"}


def encode_vni(text: str) -> str:
    """Unicode -> VNI (for building test and sample files only)."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in _VNI_ENC:
            out.append(_VNI_ENC[ch])
            continue
        d = unicodedata.normalize("NFD", ch)
        base, marks = d[0], d[1:]
        if not marks:
            out.append(ch)
            continue
        shape = next((m for m in marks if m in "\u0302\u0306\u031b"), "")
        tone = next((m for m in marks if m in _VNI_MARK), "")
        upper = base.isupper()
        if shape == "\u031b":
            letter = "Ö" if base in "uU" and upper else "ö" if base in "uU" else "Ô" if upper else "ô"
            out.append(letter + (_VNI_MARK[tone].upper() if upper else _VNI_MARK[tone]) if tone else letter)
            continue
        if base in "iI" or (base in "yY" and tone == "\u0323"):
            out.append(ch if ch in "íìÍÌ" else _VNI_ENC.get(ch, ch))
            continue
        if shape:
            mark = _VNI_SHAPE[(shape, tone)]
        else:
            mark = _VNI_MARK.get(tone, "")
        out.append(base + (mark.upper() if upper else mark))
    return "".join(out)


# --- the sample rounds ----------------------------------------------------------------------------

DAMAGE = {}  # file name -> (description, expected codes); filled by generate()


def generate(target: Path, seed: int = 2025) -> dict:
    """Write the sample province into ``target`` and return the manifest."""
    rng = random.Random(seed)
    target = Path(target)
    if target.exists():
        for sub in ("registration", "progress", "yearend"):
            shutil.rmtree(target / sub, ignore_errors=True)
    (target / "registration").mkdir(parents=True, exist_ok=True)
    (target / "progress").mkdir(parents=True, exist_ok=True)
    (target / "yearend").mkdir(parents=True, exist_ok=True)
    manifest: dict = {"seed": seed, "periods": {"registration": REG_PERIOD, "progress": PROG_PERIOD,
                                                "yearend": YEAREND_PERIOD},
                      "deadlines": {REG_PERIOD: "31/01/2025", PROG_PERIOD: "10/07/2025",
                                    YEAREND_PERIOD: f"{YEAREND_DEADLINE:%d/%m/%Y}"}, "files": {}}
    with tempfile.TemporaryDirectory() as tmp:
        ws = init_workspace(Path(tmp) / "ws", periods=[REG_PERIOD, PROG_PERIOD, YEAREND_PERIOD])
        ws.set_period(parse_period(REG_PERIOD), REG_DEADLINE)
        ws.set_period(parse_period(PROG_PERIOD), PROG_DEADLINE)
        ws.set_period(parse_period(YEAREND_PERIOD), YEAREND_DEADLINE)
        shutil.copyfile(ws.registry_path, target / "don_vi.xlsx")
        ctx = load_context(ws)
        _registration_samples(ws, ctx, target, manifest, rng)
        _progress_samples(ws, ctx, target, manifest, rng, seed)
        _odd_samples(target, manifest)
        _yearend(ws, target, manifest, random.Random(seed + 2))
    (target / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True),
                                          encoding="utf-8")
    write_readme(target, manifest)
    return manifest


def _registration_samples(ws, ctx, target: Path, manifest: dict, rng: random.Random) -> None:
    """The registrations of every unit, some damaged as units damage them; recorded in the manifest."""
    reg_form = ctx.form("registration")
    templates = {p.name.split("_")[0]: p for p in build_templates(open_round(ws, parse_period(REG_PERIOD), "registration"))}
    units = sorted(templates)
    reg_rows: dict[str, list[dict]] = {}
    for code in units:
        leaders = [ldr.id for ldr in ctx.registry.leaders_of(code)]
        reg_rows[code] = registration_rows(ctx.registry.units[code], rng, n=rng.randint(6, 9), leaders=leaders)
    # cascade: communes' first task concretises the Organisation Board's first task
    for code in units:
        if code.startswith("X"):
            reg_rows[code][0]["parent_code"] = "BTC-01"
    # damage in the registration round
    reg_rows["XLS"][1].update(title="Tăng cường công tác giáo dục chính trị tư tưởng", indicator=None, target=None,
                              unit_measure=None, baseline=None)
    manifest["files"]["registration/XLS_dang_ky_2025.xlsx"] = {
        "unit": "XLS", "received": "2025-01-20", "codes": ["qualitative-task", "generic-wording"],
        "damage": "Một nhiệm vụ chỉ có từ ngữ chung chung, không có chỉ tiêu, mục tiêu."}
    reg_rows["XCP"][2]["title"] = reg_rows["XMC"][2]["title"] = \
        "Nâng cao chất lượng hoạt động của Mặt trận và các đoàn thể chính trị – xã hội ở cơ sở năm 2025"
    manifest["files"]["registration/XMC_dang_ky_2025.xlsx"] = {
        "unit": "XMC", "received": "2025-01-25", "codes": ["copied-task"],
        "damage": "Nhiệm vụ thứ 3 giống hệt nhiệm vụ của xã Cao Phong (đăng ký rập khuôn)."}
    reg_cols = {s.name: [c.name for c in s.columns] for s in reg_form.sheets}
    first = {s.name: s.first_data_row for s in reg_form.sheets}
    tasks_sheet, items_sheet = reg_form.sheets[0].name, reg_form.sheets[1].name
    for code in units:
        rows = reg_rows[code]
        items = [{"item_code": f"{r['task_code']}.1", "task_code": r["task_code"],
                  "description": f"Xây dựng kế hoạch, phân công thực hiện: {r['title'][:60]}",
                  "roadmap": "Quý I: kế hoạch; Quý II–III: triển khai; Quý IV: đánh giá",
                  "owner": "Văn phòng đảng ủy", "deadline": date(2025, 3, 31)} for r in rows[:3]]
        name = f"registration/{code}_dang_ky_2025.xlsx"
        entry = manifest["files"].setdefault(name, {"unit": code, "received": f"2025-01-{rng.randint(10, 30):02d}",
                                                    "codes": [], "damage": ""})
        data = {tasks_sheet: rows, items_sheet: items}
        if code == "PKS":  # dates and numbers typed as text, Vietnamese habits
            for r in rows:
                r["deadline"] = r["deadline"].strftime("%-d/%-m/%Y")
                r["start_date"] = "ngày 1 tháng 1 năm 2025"
                r["target"] = f"{r['target']:,}".replace(",", ".") + ",0"
            entry["damage"] = "Ngày nhập dạng chữ (15/6/2025, 'ngày 1 tháng 1 năm 2025'), số có dấu phân cách kiểu Việt."
        if code == "XTL":  # NFD text (typed on a Mac)
            for r in rows:
                r["title"] = unicodedata.normalize("NFD", r["title"])
            entry["damage"] = "Chữ tiếng Việt dạng tổ hợp (NFD) — được chuẩn hoá về NFC."
        out = fill(templates[code], target / name, data, reg_cols, first)
        if code == "XDB":
            _legacy_file(out, tasks_sheet, encode_tcvn3, ".VnTime", ("title", "indicator", "unit_measure"),
                         reg_cols[tasks_sheet], reg_form.main.first_data_row)
            entry.update(codes=["legacy-encoding"], damage="Gõ bằng phông .VnTime (mã TCVN3/ABC).")
        if code == "BTG":
            _rename_and_move(out, tasks_sheet)
            entry.update(codes=["column-renamed", "column-moved"],
                         damage="Sửa tiêu đề cột 'Chỉ tiêu đo lường' và chuyển cột 'Ghi chú' lên đầu.")
        if code == "XKB":
            _drop_meta(out)
            entry.update(codes=["metadata-missing"], damage="Sao chép sang tệp mới: mất trang thông tin ẩn.")


def _progress_samples(ws, ctx, target: Path, manifest: dict, rng: random.Random, seed: int) -> None:
    """The 6-month reports, prefilled from the registrations collected; one unit silent, one late, one
    resubmitted, one asking to adjust a task."""
    prog_form = ctx.form("progress")
    # registrations go into a store so the progress templates are prefilled from the register
    for p in (target / "registration").glob("*.xlsx"):
        shutil.copyfile(p, ws.round_dir(parse_period(REG_PERIOD), "inbox") / p.name)
    collect(open_round(ws, REG_PERIOD), feedback=False)
    prog_templates = {p.name.split("_")[0]: p for p in build_templates(open_round(ws, parse_period(PROG_PERIOD), "progress"))}
    with load_context(ws) as session:
        store = session.store
        register = {}
        for t in store.register(REG_PERIOD):
            register.setdefault(t["unit_code"], []).append(t)
    adjust_sheet = next(sh for sh in prog_form.sheets if sh.id == "adjust")
    prog_cols = {sh.name: [c.name for c in sh.columns] for sh in (prog_form.main, adjust_sheet)}
    prog_first = {sh.name: sh.first_data_row for sh in (prog_form.main, adjust_sheet)}
    for code in sorted(prog_templates):
        if code == "XVN":
            manifest["missing_unit"] = "XVN"
            continue  # a unit that does not report
        tasks = register.get(code, [])
        rows = progress_rows(tasks, rng, code)
        name = f"progress/{code}_tien_do_6thang.xlsx"
        entry = {"unit": code, "received": f"2025-07-{rng.randint(1, 10):02d}", "codes": [], "damage": ""}
        if code in ("DUUB", "DUCQ"):
            rows[0]["results"] = ("Đã tổ chức quán triệt, triển khai thực hiện nghiêm túc, đạt kết quả bước đầu; "
                                  "các chỉ tiêu cơ bản bám sát kế hoạch đề ra.")
            entry["received"] = "2025-07-02" if code == "DUUB" else "2025-07-06"
        if code == "DUCQ":
            entry.update(codes=["copied-report"],
                         damage="Kết quả nhiệm vụ đầu sao chép nguyên văn báo cáo của Đảng ủy UBND tỉnh.")
        if code == "XLT":
            rows[0].update(status="Hoàn thành", percent=70)
            rows[1].update(status="Chậm tiến độ", delay_cause=None, percent=40)
            rows[2]["status"] = "Xong rồi"
            entry.update(received="2025-07-03", codes=["status-percent", "delay-cause-missing", "choice-error"],
                         damage="Tình trạng 'Hoàn thành' nhưng 70%; chậm tiến độ không ghi nguyên nhân; "
                                "tình trạng ngoài danh sách. Bị trả lại; gửi lại bản sửa (XLT_tien_do_6thang_ban_sua.xlsx).")
        if code == "XYT":
            entry.update(received="2025-07-18", codes=["late-submission"], damage="Nộp muộn 8 ngày.")
        sheets = {prog_form.main.name: rows}
        if code == ADJUST_UNIT:
            sheets[adjust_sheet.name] = [_adjust_request(tasks, rows, manifest)]
            entry["damage"] = (f"Đề nghị gia hạn nhiệm vụ {manifest['adjustment']['task']} (trang 'Đề nghị điều "
                               f"chỉnh'); Văn phòng đồng ý trong bảng đề nghị điều chỉnh.")
        out = fill(prog_templates[code], target / name, sheets, prog_cols, prog_first)
        if code == "XMC":
            _legacy_file(out, prog_form.main.name, encode_vni, "VNI-Times", ("results", "difficulties", "proposals"),
                         prog_cols[prog_form.main.name], prog_form.main.first_data_row)
            entry.update(codes=["legacy-encoding"], damage="Gõ bằng phông VNI-Times (mã VNI).")
        manifest["files"][name] = entry
        if code == "XLT":  # the corrected resubmission
            fixed = progress_rows(tasks, random.Random(seed + 1), code)
            for r in fixed:
                r.pop("task_code", None)
            name2 = "progress/XLT_tien_do_6thang_ban_sua.xlsx"
            fill(prog_templates[code], target / name2, {prog_form.main.name: fixed}, prog_cols, prog_first)
            manifest["files"][name2] = {"unit": "XLT", "received": "2025-07-09", "codes": ["resubmission"],
                                        "damage": "Bản gửi lại đã sửa lỗi, thay thế bản bị trả lại."}


def _odd_samples(target: Path, manifest: dict) -> None:
    """Files a clerk finds in an inbox: an .xls and an .ods saved by LibreOffice, a corrupt file, Excel's lock."""
    # an .xls and an .ods saved by LibreOffice, and a corrupt file
    for code, ext in (("PTHN", "xls"), ("PKS", "ods")):
        src = target / f"progress/{code}_tien_do_6thang.xlsx"
        if _libreoffice_convert(src, ext):
            manifest["files"][f"progress/{code}_tien_do_6thang.{ext}"] = {
                **manifest["files"].pop(f"progress/{code}_tien_do_6thang.xlsx"),
                "damage": f"Đơn vị lưu lại bằng LibreOffice dạng .{ext}."}
            src.unlink()
    corrupt = target / "progress/QSU_tien_do_6thang.xlsx"
    data = corrupt.read_bytes()
    corrupt.write_bytes(data[: len(data) // 3])
    manifest["files"]["progress/QSU_tien_do_6thang.xlsx"].update(
        codes=["file-unreadable"], damage="Tệp hỏng (bị cắt cụt khi gửi thư).")
    (target / "progress" / "~$BTC_tien_do_6thang.xlsx").write_bytes(b"\x00lock")
    manifest["files"]["progress/~$BTC_tien_do_6thang.xlsx"] = {
        "unit": "", "received": "2025-07-05", "codes": ["file-skipped"], "damage": "Tệp khoá tạm của Excel."}


def _adjust_request(tasks: list[dict], rows: list[dict], manifest: dict) -> dict:
    """The unit's first unfinished task due in September asks for a later deadline (status 'Đề nghị điều chỉnh')."""
    i = next(i for i, (t, r) in enumerate(zip(tasks, rows))
             if str(t["deadline"])[5:7] == "09" and r["percent"] < 100)
    rows[i].update(status="Đề nghị điều chỉnh", completed_on=None, delay_cause=None)
    task = tasks[i]
    manifest["adjustment"] = {"unit": ADJUST_UNIT, "task": task["task_code"], "deadline": str(task["deadline"])[:10],
                              "new_deadline": ADJUST_NEW_DEADLINE.isoformat(), "reason": ADJUST_REASON,
                              "decision_ref": ADJUST_DECISION}
    return {"task_code": task["task_code"], "change": "Gia hạn thời hạn", "new_deadline": ADJUST_NEW_DEADLINE,
            "reason": ADJUST_REASON}


def _yearend(ws, target: Path, manifest: dict, rng: random.Random) -> None:
    """The year-end round: the 6-month returns collected, the request approved (as the office would in the
    adjustments workbook), year-end templates built (the register as adjusted, last values carried) and filled:
    every task finished or not, a few late; one percent that went down and one result copied from the unit's own
    6-month report, which the checks across periods must warn about."""
    prog, ye = parse_period(PROG_PERIOD), parse_period(YEAREND_PERIOD)
    inbox = ws.round_dir(prog, "inbox")
    for name, entry in manifest["files"].items():
        if name.startswith("progress/") and (target / name).exists():
            shutil.copyfile(target / name, inbox / Path(name).name)
            ts = datetime.fromisoformat(entry["received"] + "T09:00:00").timestamp()
            os.utime(inbox / Path(name).name, (ts, ts))
    collect(open_round(ws, prog), feedback=False)
    with load_context(ws) as session:
        store = session.store
        for a in store.adjustments(REG_PERIOD, pending_only=True):
            store.decide_adjustment(a["id"], "approved", ADJUST_DECISION, None)
        register: dict[str, list[dict]] = {}
        for t in store.register(REG_PERIOD):
            register.setdefault(t["unit_code"], []).append(t)
        before = {(r["_unit"], r.get("task_code")): r for r in store.rows("progress", PROG_PERIOD, "progress")}
    form = load_context(ws).form("progress")
    templates = {p.name.split("_")[0]: p for p in build_templates(open_round(ws, ye, "progress"))}
    cols = {form.main.name: [c.name for c in form.main.columns]}
    first = {form.main.name: form.main.first_data_row}
    adjusted = (manifest["adjustment"]["unit"], manifest["adjustment"]["task"])
    damage = {"XCP": ("progress-percent-down", "Một nhiệm vụ báo cáo % hoàn thành thấp hơn báo cáo 6 tháng."),
              "XLG": ("copied-report", "Kết quả một nhiệm vụ chép nguyên văn báo cáo 6 tháng của chính đơn vị.")}
    for code in sorted(templates):
        received = date(2025, 12, rng.randint(8, 18))
        rows = []
        for t in register[code]:
            prev = before.get((code, t["task_code"])) or {}
            rows.append(_yearend_row(t, prev, rng, received, (code, t["task_code"]) == adjusted))
        entry = {"unit": code, "received": received.isoformat(), "codes": [], "damage": ""}
        if (code, adjusted[1]) == adjusted:
            entry["damage"] = f"Nhiệm vụ {adjusted[1]} hoàn thành sau thời hạn cũ, trước thời hạn đã được gia hạn."
        if code in damage:
            i = next(i for i, t in enumerate(register[code])
                     if (before.get((code, t["task_code"])) or {}).get("percent") not in (None, 100)
                     and (before[(code, t["task_code"])].get("percent") or 0) >= 20)
            prev = before[(code, register[code][i]["task_code"])]
            if damage[code][0] == "progress-percent-down":
                rows[i].update(status="Không hoàn thành", percent=int(prev["percent"]) - 10, completed_on=None,
                               actual=None, delay_cause="Thiếu nguồn lực (kinh phí, nhân lực)")
            else:
                rows[i]["results"] = prev["results"]
            entry.update(codes=[damage[code][0]], damage=damage[code][1])
        name = f"yearend/{code}_tong_ket_2025.xlsx"
        fill(templates[code], target / name, {form.main.name: rows}, cols, first)
        manifest["files"][name] = entry


def _yearend_row(task: dict, prev: dict, rng: random.Random, received: date, adjusted: bool) -> dict:
    deadline = date.fromisoformat(task["deadline"][:10])
    target = task.get("target") or 0
    was = prev.get("percent") if isinstance(prev.get("percent"), (int, float)) else 0
    row = {"difficulties": None, "delay_cause": None, "proposals": None,
           "evidence": f"{rng.randint(300, 450)}-BC/ĐU"}
    if prev.get("status") in ("Hoàn thành", "Hoàn thành vượt mức") and was == 100:
        done = prev.get("completed_on")
        return {**row, "status": prev["status"], "percent": 100, "actual": prev.get("actual"),
                "completed_on": date.fromisoformat(done[:10]) if isinstance(done, str) else done,
                "results": f"Đã hoàn thành từ 6 tháng đầu năm; cả năm duy trì kết quả ({task['task_code']}, "
                           f"{rng.randint(2, 9)} đợt kiểm tra lại)."}
    roll = rng.random()
    if adjusted:
        status, done = "Hoàn thành", date(2025, 11, 20)
    elif roll < 0.12:
        status, done = "Không hoàn thành", None
    elif roll < 0.25 and deadline < date(2025, 11, 15):
        status, done = "Hoàn thành", deadline + timedelta(days=rng.randint(5, 25))
    else:
        status, done = "Hoàn thành", min(deadline, received) - timedelta(days=rng.randint(0, 20))
    pct = 100 if done else max(int(was) + 5, rng.randint(60, 90))
    return {**row, "status": status, "percent": pct, "actual": round(target * pct / 100, 1) if target else None,
            "completed_on": done,
            "results": rng.choice(RESULT_BANK).format(n=rng.randint(3, 40), pct=pct)
            + f" Tổng kết năm ({task['task_code']}).",
            "delay_cause": None if done else rng.choice(["Thiếu nguồn lực (kinh phí, nhân lực)",
                                                         "Phụ thuộc nhà đầu tư, doanh nghiệp"]),
            "difficulties": None if done else "Nguồn lực còn hạn chế, tiến độ giải ngân chậm."}


def _dmy(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def write_readme(target: Path, manifest: dict) -> None:
    """sample_workbooks/README.md: every damaged file with the issue codes it must trigger."""
    lines = [
        "# Bộ tệp mẫu / Sample workbooks",
        "",
        "Tỉnh mẫu \"Tỉnh ủy Hòa An\" (hư cấu): 20 đơn vị (Tỉnh ủy, 6 ban/đảng ủy trực thuộc, 13 xã/phường) và 23 "
        "lãnh đạo (`don_vi.xlsx`); một đợt đăng ký nhiệm vụ năm 2025 (`registration/`), một đợt báo cáo 6 tháng "
        "đầu năm 2025 (`progress/`, biểu mẫu ghi sẵn nhiệm vụ đã đăng ký) và một đợt tổng kết năm 2025 "
        "(`yearend/`, biểu mẫu ghi sẵn danh mục đã điều chỉnh và số liệu 6 tháng). Tạo lại bằng `make samples` "
        f"(hạt giống cố định {manifest['seed']}); `manifest.json` ghi ngày nhận của từng tệp và mã lỗi phải phát hiện.",
        "",
        "Đề nghị điều chỉnh mẫu: {unit} xin gia hạn nhiệm vụ {task} từ {old} đến {new} trong báo cáo 6 tháng "
        "(lý do: {reason}); `toolkit demo` đồng ý bằng {ref}, nên biểu mẫu tổng kết năm ghi thời hạn mới và "
        "nhiệm vụ được đánh giá theo thời hạn đã điều chỉnh.".format(
            **{**manifest["adjustment"], "old": _dmy(manifest["adjustment"]["deadline"]),
               "new": _dmy(manifest["adjustment"]["new_deadline"]), "ref": manifest["adjustment"]["decision_ref"]}),
        "",
        "Generated by `make samples` (fixed seed). `tests/test_cli_samples.py` checks that each file triggers exactly "
        "the codes below and that the clean files are accepted.",
        "",
        "| Tệp | Đơn vị | Ngày nhận | Hư hỏng | Mã lỗi phải có |",
        "|---|---|---|---|---|",
    ]
    for name, entry in sorted(manifest["files"].items()):
        codes = ", ".join(f"`{c}` ({CATALOGUE[c].severity.label.lower()})" for c in entry["codes"]) or "— (sạch)"
        lines.append(f"| `{name}` | {entry['unit']} | {entry['received']} | {entry['damage'] or 'Không'} | {codes} |")
    lines += ["", f"Đơn vị không nộp báo cáo 6 tháng: `{manifest.get('missing_unit', '')}` "
                  "(xuất hiện trong danh sách chưa nộp).", ""]
    (target / "README.md").write_text("\n".join(lines), encoding="utf-8")


def _legacy_file(path: Path, sheet: str, encoder, font: str, columns, form_columns, first_row: int) -> None:
    """Re-type some columns as a unit with a legacy font would: legacy bytes shown in that font."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    for row in ws.iter_rows(min_row=first_row):
        for cell in row:
            if cell.column > len(form_columns) or form_columns[cell.column - 1] not in columns:
                continue
            if isinstance(cell.value, str):
                cell.value = encoder(cell.value)
                cell.font = Font(name=font)
    wb.save(path)


def _rename_and_move(path: Path, sheet: str) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    header = 6
    for cell in ws[header]:
        if cell.value == "Chỉ tiêu đo lường":
            cell.value = "Chỉ tiêu đo lường được"
    last = ws.max_column
    ws.insert_cols(1)
    for r in range(header, ws.max_row + 1):
        ws.cell(row=r, column=1).value = ws.cell(row=r, column=last + 1).value
        ws.cell(row=r, column=last + 1).value = None
    wb.save(path)


def _drop_meta(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    for name in ("_meta", "_lists"):
        if name in wb.sheetnames:
            del wb[name]
    for ws in wb.worksheets:
        ws.data_validations.dataValidation = []
    wb.save(path)


def _libreoffice_convert(src: Path, ext: str) -> bool:
    soffice = find_soffice()
    if not soffice:
        print(f"LibreOffice không có: bỏ qua tạo tệp .{ext}", file=sys.stderr)
        return False
    with tempfile.TemporaryDirectory() as profile:
        filt = {"xls": "xls:MS Excel 97", "ods": "ods"}[ext]
        subprocess.run([str(soffice), "--headless", "--norestore", profile_argument(Path(profile).resolve()),
                        "--convert-to", filt, "--outdir", str(src.parent), str(src)],
                       check=False, capture_output=True, timeout=180)
    return src.with_suffix(f".{ext}").exists()


def install_round(samples: Path, workspace, which: str) -> list[Path]:
    """Copy a sample round into a workspace inbox, with each file's arrival time as its mtime."""
    import os


    ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
    manifest = json.loads((Path(samples) / "manifest.json").read_text(encoding="utf-8"))
    period = manifest["periods"][which]
    inbox = ws.round_dir(period, "inbox")
    copied = []
    for name, entry in sorted(manifest["files"].items()):
        if not name.startswith(which + "/"):
            continue
        src = Path(samples) / name
        if not src.exists():
            continue
        dst = inbox / src.name
        shutil.copyfile(src, dst)
        ts = datetime.fromisoformat(entry["received"] + "T09:00:00").timestamp()
        os.utime(dst, (ts, ts))
        copied.append(dst)
    return copied


if __name__ == "__main__":  # pragma: no cover
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "sample_workbooks")
    m = generate(out)
    print(f"Đã tạo {len(m['files'])} tệp mẫu trong {out}")
