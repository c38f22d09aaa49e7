"""What a clerk and unit staff do, for tests that drive whole rounds through the CLI: run a command, fill a
template the way unit staff fill it (by the column titles of the header row), give a file its received date."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from toolkit.cli import cli


def invoke(*args, code=0) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result.output


def received(path: Path, day: date) -> Path:
    ts = datetime(day.year, day.month, day.day, 9).timestamp()
    os.utime(path, (ts, ts))
    return path


def fill(template: Path, out: Path, day: date, rows: list[dict], sheet: str | None = None, by_code=False,
         extra: tuple[str, list[dict]] | None = None) -> Path:
    """Rows keyed by column title, into the prefilled task's row (``by_code``: the first key is the code) or the
    next empty rows; ``extra`` = (sheet, rows) for a second sheet."""
    wb = openpyxl.load_workbook(template)

    def write(ws, rows, by_code):
        head = {c.value: c.column for c in ws[6] if c.value}
        for i, row in enumerate(rows):
            first = next(iter(row))
            r = next(c.row for c in ws["A"] if c.value == row[first]) if by_code else 7 + i
            for title, value in row.items():
                if by_code and title == first:
                    continue
                cell = ws.cell(row=r, column=head[title], value=value)
                if isinstance(value, str):
                    cell.data_type = "s"

    main = wb[sheet] if sheet else next(w for w in wb.worksheets if w.title not in ("Hướng dẫn", "Lỗi cần sửa"))
    write(main, rows, by_code)
    if extra:
        write(wb[extra[0]], extra[1], False)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return received(out, day)


def outbox(ws: Path, period: str, codes=None) -> dict[str, Path]:
    """Unit code -> its template (file names start with the unit's code and "_"); without ``codes``, every
    template under the part of its name before the first "_"."""
    files = sorted((ws / "rounds" / period / "outbox").glob("*.xlsx"))
    if codes is None:
        return {p.name.split("_")[0]: p for p in files}
    return {c: p for c in codes for p in files if p.name.startswith(f"{c}_")}


def reg(code, title, deadline, leader=None, target=10, measure="việc", start=None, baseline=None, **extra):
    row = {"Mã nhiệm vụ": code, "Lĩnh vực": "Xây dựng Đảng", "Loại nhiệm vụ": "Trọng tâm", "Tên nhiệm vụ": title,
           "Chỉ tiêu đo lường": "Số lượng", "Đơn vị tính": measure, "Giá trị mục tiêu": target,
           "Thời hạn hoàn thành": deadline, "Trọng số": 1}
    if leader:
        row["Mã lãnh đạo phụ trách"] = leader
    if start:
        row["Ngày bắt đầu"] = start
    if baseline is not None:
        row["Giá trị hiện tại"] = baseline
    row.update(extra)
    return row


def bt(code, leader, title, target, measure, deadline, focal="Văn phòng"):
    return {"Mã việc": code, "Mã lãnh đạo được giao": leader, "Lĩnh vực": "Kinh tế – xã hội",
            "Nội dung việc đột phá": title, "Chỉ tiêu đo lường": "Số lượng", "Đơn vị tính": measure,
            "Giá trị mục tiêu": target, "Thời hạn hoàn thành": deadline, "Đầu mối theo dõi": focal}


def prog(code, status, percent=None, actual=None, completed=None, results=None):
    row = {"Mã nhiệm vụ": code, "Tình trạng": status}
    if percent is not None:
        row["% hoàn thành"] = percent
    if actual is not None:
        row["Giá trị đạt được"] = actual
    if completed is not None:
        row["Ngày hoàn thành"] = completed
    if results is not None:
        row["Kết quả thực hiện"] = results
    return row


def set_opinions(path: Path, sheet: str, opinions: dict, key_cols=("Mã đơn vị", "Mã nhiệm vụ")) -> None:
    """The office's opinions typed into a review workbook (confirmation, adjustments), keyed by its key columns."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    top = next(r for r in range(1, 10) if ws.cell(row=r, column=1).value in ("Mã đơn vị", "Số đề nghị"))
    head = {c.value: c.column for c in ws[top]}
    for r in range(top + 1, ws.max_row + 1):
        key = tuple(ws.cell(row=r, column=head[k]).value for k in key_cols)
        key = key[0] if len(key) == 1 else key
        for col, value in opinions.get(key, {}).items():
            ws.cell(row=r, column=head[col], value=value)
    wb.save(path)
