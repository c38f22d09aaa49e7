"""Command line: thin skin over the library. Exit codes: 0 clean, 1 data errors found, 2 could not run."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .console import VietnameseGroup, speak_vietnamese
from .errors import ToolkitError

speak_vietnamese()  # click's own words ("Usage:", "Missing option") in Vietnamese

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _run(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ToolkitError as exc:
        err.print(f"[bold red]Lỗi:[/] {exc}")
        sys.exit(2)
    except OSError as exc:
        err.print(f"[bold red]Lỗi tệp/thư mục:[/] {exc}")
        sys.exit(2)


def _period(value: str):
    from .periods import parse_period

    return _run(parse_period, value)


def _progress_bar(label: str):
    return Progress(TextColumn(label), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True)


def _emit_json(data: dict) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@click.group(cls=VietnameseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="toolkit")
def cli():
    """Bộ công cụ theo dõi nhiệm vụ trọng tâm, cam kết trách nhiệm (Excel)."""


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--office", help='Tên cơ quan, ví dụ "Tỉnh ủy Hòa An".')
@click.option("--units", "units_file", type=click.Path(dir_okay=False), help="Tệp Excel danh sách đơn vị.")
@click.option("--period", "periods", multiple=True, help="Kỳ báo cáo cần tạo thư mục (mặc định: các kỳ của năm nay).")
def init(directory, office, units_file, periods):
    """Tạo thư mục làm việc: cấu hình, danh sách đơn vị, thư mục từng đợt."""
    from .config import init_workspace

    year = date.today().year
    periods = list(periods) or [str(year), f"{year}-Q1", f"{year}-H1", f"{year}-9M", f"{year}-Y"]
    for p in periods:
        _period(p)
    ws = _run(init_workspace, directory, office=office, units=units_file, periods=periods)
    console.print(f"Đã tạo thư mục làm việc [bold]{ws.root}[/] ({ws.office['name']}).")
    console.print(f"  Danh sách đơn vị: {ws.registry_path}")
    console.print(f"  Cấu hình: {ws.root / 'settings.yaml'}")
    console.print(f"  Các đợt: {', '.join(periods)}")


@cli.group()
def forms():
    """Biểu mẫu: kiểm tra định nghĩa biểu mẫu."""


@forms.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def forms_check(directory):
    """Kiểm tra các tệp định nghĩa biểu mẫu (YAML), chỉ rõ vị trí từng lỗi."""
    from .forms import check_forms, load_forms

    problems = check_forms(Path(directory) if directory else None)
    if problems:
        for p in problems:
            console.print(f"[red]✗[/] {p}")
        sys.exit(1)
    for form in load_forms(Path(directory) if directory else None).values():
        console.print(f"[green]✓[/] {form.id} (phiên bản {form.version}): {form.title} — {form.source}")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--form", "form_id", required=True, help="Mã biểu mẫu: registration, breakthrough, progress, followup.")
@click.option("--period", required=True, help="Kỳ báo cáo, ví dụ 2025, 2025-H1, 2021-2025.")
@click.option("--units", "unit_codes", help="Chỉ tạo cho các mã đơn vị này (cách nhau bởi dấu phẩy).")
def templates(directory, form_id, period, unit_codes):
    """Tạo biểu mẫu Excel cho từng đơn vị vào thư mục outbox của đợt."""
    from .templates import build_templates

    p = _period(period)
    codes = [c.strip() for c in unit_codes.split(",")] if unit_codes else None
    with _progress_bar("Tạo biểu mẫu") as bar:
        task = bar.add_task("", total=None)
        paths = _run(build_templates, directory, form_id, p, codes,
                     progress=lambda i, n: bar.update(task, completed=i, total=n))
    console.print(f"Đã tạo {len(paths)} biểu mẫu trong {paths[0].parent if paths else '-'}")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--period", required=True, help="Kỳ báo cáo.")
@click.option("--form", "form_id", help="Chỉ nhận biểu mẫu này.")
@click.option("--inbox", type=click.Path(file_okay=False), help="Thư mục tệp nhận về (mặc định rounds/<kỳ>/inbox).")
@click.option("--no-feedback", is_flag=True, help="Không tạo tệp phản hồi cho đơn vị.")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
def collect(directory, period, form_id, inbox, no_feedback, as_json):
    """Tiếp nhận, kiểm tra các tệp đơn vị gửi về; tạo phản hồi và bảng lỗi."""
    from .collect import STATUS_LABELS, collect as do_collect

    p = _period(period)
    with _progress_bar("Tiếp nhận") as bar:
        task = bar.add_task("", total=None)
        result = _run(do_collect, directory, p, form_id, inbox, feedback=not no_feedback,
                      progress=lambda i, n, name: bar.update(task, completed=i, total=n, description=name[-40:]))
    if as_json:
        _emit_json(result.to_dict())
    else:
        table = Table(title=f"Kết quả tiếp nhận kỳ {p.code}")
        for col in ("Tệp", "Đơn vị", "Kết quả", "Lỗi", "Cảnh báo"):
            table.add_column(col)
        colours = {"rejected": "red", "warnings": "yellow", "accepted": "green"}
        for f in result.files:
            c = colours.get(f.status, "dim")
            table.add_row(f.file, f.unit, f"[{c}]{STATUS_LABELS[f.status]}[/]", str(f.errors), str(f.warnings))
        console.print(table)
        console.print(result.summary() + ".")
        console.print(f"Bảng lỗi: {result.issues_workbook}")
    sys.exit(1 if result.has_errors else 0)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--period", required=True)
@click.option("--form", "form_id")
@click.option("--json", "as_json", is_flag=True)
def status(directory, period, form_id, as_json):
    """Tình hình nộp báo cáo: đúng hạn, muộn, bị trả lại, chưa nộp."""
    from .merge import SUBMISSION_STATES, round_status

    result = _run(round_status, directory, _period(period), form_id)
    if as_json:
        _emit_json(result.to_dict())
        return
    table = Table(title=f"Tình hình nộp {result.form} kỳ {result.period} (hạn {result.deadline})")
    for col in ("Mã", "Đơn vị", "Cấp trên", "Tình trạng", "Muộn (ngày)", "Số lỗi"):
        table.add_column(col)
    for u in result.units:
        table.add_row(u.code, u.name, u.parent, SUBMISSION_STATES[u.state], str(u.late_days or ""),
                      str(u.errors or ""))
    console.print(table)
    r = result.rates()
    console.print(f"Đã nộp {r['reported']}/{r['expected']} ({r['reporting_rate']}%), đúng hạn {r['on_time']} "
                  f"({r['on_time_rate']}%), muộn {r['late']}, bị trả lại {r['rejected']}, chưa nộp {r['missing']}.")
    for parent, pr in result.by_parent().items():
        console.print(f"  {parent}: {pr['reported']}/{pr['expected']} đã nộp, {pr['on_time']} đúng hạn")
    console.print(f"Danh sách chưa nộp: {result.workbook}")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--period", required=True)
@click.option("--form", "form_id")
@click.option("--json", "as_json", is_flag=True)
def merge(directory, period, form_id, as_json):
    """Tổng hợp dữ liệu đã tiếp nhận thành bảng tổng hợp của đợt."""
    from .merge import merge as do_merge

    result = _run(do_merge, directory, _period(period), form_id)
    if as_json:
        _emit_json(result.to_dict())
        return
    console.print(f"Đã tổng hợp {result.rows} dòng của {result.units} đơn vị: {result.path}")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--period", required=True)
@click.option("--json", "as_json", is_flag=True)
def score(directory, period, as_json):
    """Chấm điểm, xếp loại đơn vị và lãnh đạo (áp dụng tỷ lệ)."""
    from .score import score as do_score

    result = _run(do_score, directory, _period(period))
    if as_json:
        _emit_json(result.to_dict())
        return
    table = Table(title=f"Xếp loại kỳ {result.period}")
    for col in ("Hạng", "Mã", "Đơn vị", "Điểm", "Xếp loại"):
        table.add_column(col)
    for s in result.units:
        table.add_row(str(s.rank), s.subject_id, s.name, f"{s.score:.1f}", s.level)
    console.print(table)
    console.print(f"Bảng xếp loại: {result.path}")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--period", required=True)
@click.option("--pdf", is_flag=True, help="Chuyển sang PDF bằng LibreOffice hoặc Word (nếu có).")
@click.option("--json", "as_json", is_flag=True)
def report(directory, period, pdf, as_json):
    """Xuất văn bản Word: báo cáo tổng hợp, phiếu đánh giá, bản cam kết, danh sách chưa nộp."""
    from .report import write_reports

    with _progress_bar("Xuất văn bản") as bar:
        task = bar.add_task("", total=None)
        result = _run(write_reports, directory, _period(period), pdf=pdf,
                      progress=lambda i, n: bar.update(task, completed=i, total=n))
    if as_json:
        _emit_json(result.to_dict())
        return
    console.print(f"Đã xuất {len(result.documents)} văn bản vào {result.folder} ({result.seconds:.1f} giây).")
    if pdf:
        console.print(result.pdf_message)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--period", required=True)
@click.option("--pdf", is_flag=True)
def run(directory, period, pdf):
    """Chạy cả đợt: tiếp nhận → tổng hợp → xếp loại → văn bản."""
    from .pipeline import run_round

    result = _run(run_round, directory, _period(period), pdf=pdf, log=console.print)
    sys.exit(1 if result["collect"]["summary"]["rejected"] else 0)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--output", type=click.Path(dir_okay=False), help="Đường dẫn tệp bảng điều khiển (.xlsm).")
def panel(directory, output):
    """Tạo bảng điều khiển Excel (nút macro gọi Python qua xlwings)."""
    from .panel import build_panel

    path = _run(build_panel, directory, output)
    console.print(f"Đã tạo bảng điều khiển: {path}")
    console.print("Mở tệp bằng Excel, bật macro (Enable Content) rồi bấm các nút trên trang 'Điều khiển'.")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), default="demo_workspace")
@click.option("--pdf/--no-pdf", default=True, help="Chuyển văn bản sang PDF khi có LibreOffice hoặc Word.")
def demo(directory, pdf):
    """Chạy thử một đợt hoàn chỉnh trên sample_workbooks/ (tạo thư mục làm việc mới)."""
    from .demo import run_demo

    _run(run_demo, directory, pdf=pdf, log=console.print)


@cli.command()
@click.option("--markdown", is_flag=True, help="In bảng mã lỗi dạng Markdown (docs/issue-codes.md).")
def codes(markdown):
    """Danh mục mã lỗi và thông báo."""
    from .issues import CATALOGUE, catalogue_markdown

    if markdown:
        click.echo(catalogue_markdown(), nl=False)
        return
    for c in CATALOGUE.values():
        console.print(f"{c.code:28} {c.severity.label:9} {c.message}")


def main():  # pragma: no cover
    cli()
