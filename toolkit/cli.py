"""Command line: thin skin over the library. Exit codes: 0 clean, 1 data errors found, 2 could not run."""

from __future__ import annotations

import json
import sqlite3
import sys
from datetime import date, datetime
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

FORM_HELP = "Mã biểu mẫu: registration (đăng ký), breakthrough (việc đột phá), progress (tiến độ), followup (nắm, góp, kiểm)."
PERIOD_HELP = "Kỳ báo cáo: 2026, 2026-Q1…Q4, 2026-H1 (6 tháng), 2026-9M, 2026-Y (tổng kết năm), 2026-2030 (nhiệm kỳ)."


def _run(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ToolkitError as exc:
        err.print(f"[bold red]Lỗi:[/] {exc}")
        sys.exit(2)
    except OSError as exc:
        from .machine import describe_os_error

        err.print(f"[bold red]Lỗi tệp/thư mục:[/] {describe_os_error(exc)}")
        sys.exit(2)
    except sqlite3.Error as exc:
        from .machine import describe_db_error

        err.print(f"[bold red]Lỗi kho dữ liệu:[/] {describe_db_error(exc)}")
        sys.exit(2)
    except Exception as exc:  # a writer library wrapping the disk's error (xlsxwriter's FileCreateError...)
        from .machine import describe, storage_cause

        cause = storage_cause(exc)
        if cause is None:
            raise
        err.print(f"[bold red]Lỗi tệp/thư mục:[/] {describe(cause)}")
        sys.exit(2)


def _round(directory, period: str, form_id: str | None = None):
    from .rounds import open_round

    return _run(open_round, directory, period, form_id)


def _date(value: str | None, option: str) -> date | None:
    if not value:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            pass
    err.print(f"[bold red]Lỗi:[/] {option} '{value}' không phải ngày (dùng dạng 31/01/2026).")
    sys.exit(2)


def _progress_bar(label: str):
    return Progress(TextColumn(label), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True)


def _emit_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _notes(lines) -> None:
    for line in lines:
        console.print(f"[yellow]Lưu ý:[/] {line}")


@click.group(cls=VietnameseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="toolkit", message="%(prog)s, phiên bản %(version)s")
def cli():
    """Bộ công cụ theo dõi nhiệm vụ trọng tâm, cam kết trách nhiệm (Excel)."""


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), metavar="THƯ_MỤC")
@click.option("--office", help='Tên cấp ủy, ví dụ "Tỉnh ủy Hòa An", "Huyện ủy Lạc Sơn", "Đảng ủy xã Tân Lạc".')
@click.option("--parent-body", help='Tổ chức đảng cấp trên (dòng đầu tiêu đề văn bản), ví dụ "Đảng bộ tỉnh Hòa Bình" '
                                    "(cần với huyện ủy, đảng ủy xã).")
@click.option("--signer", help="Họ tên người ký văn bản.")
@click.option("--signer-title", help='Chức vụ người ký, ví dụ "Phó Bí thư Thường trực".')
@click.option("--units", "units_file", type=click.Path(dir_okay=False), help="Tệp Excel danh sách đơn vị.")
@click.option("--period", "periods", multiple=True, help="Kỳ cần tạo thư mục (mặc định: các kỳ của năm nay; từ tháng 10: "
                                                       "tổng kết năm nay và các kỳ năm sau). Dùng nhiều lần được.")
@click.option("--deadline", "deadlines", multiple=True,
              help="Hạn nộp: 31/01/2026 (khi chỉ có một --period) hoặc KỲ=NGÀY, ví dụ 2026-H1=10/07/2026.")
def init(directory, office, parent_body, signer, signer_title, units_file, periods, deadlines):
    """Tạo thư mục làm việc: cấu hình, danh sách đơn vị, thư mục từng đợt."""
    from .config import default_periods, deadline_note, init_workspace
    from .office import missing_identity
    from .periods import parse_period

    periods = list(periods) or default_periods()
    for p in periods:
        _run(parse_period, p)
    given = {}
    for d in deadlines:
        code, _, value = d.rpartition("=")
        if not code:
            if len(periods) != 1:
                err.print("[bold red]Lỗi:[/] có nhiều kỳ: ghi --deadline dạng KỲ=NGÀY, ví dụ 2026-H1=10/07/2026.")
                sys.exit(2)
            code = periods[0]
        given[_run(parse_period, code).code] = _date(value, "--deadline")
    ws = _run(init_workspace, directory, office=office, units=units_file, periods=periods, parent_body=parent_body,
              signer_name=signer, signer_title=signer_title, deadlines=given)
    console.print(f"Đã tạo thư mục làm việc [bold]{ws.root}[/] ({ws.office['name']}).")
    console.print(f"  Danh sách đơn vị: {ws.registry_path}")
    console.print(f"  Cấu hình: {ws.root / 'settings.yaml'}")
    for code in periods:
        p = parse_period(code)
        console.print(f"  Kỳ {p.code} ({p.label}): hạn nộp {ws.deadline(p):%d/%m/%Y}")
    _notes(n for n in (deadline_note(ws, parse_period(c)) for c in periods) if n)
    if not units_file:
        _notes([f"Chưa có --units: điền danh sách đơn vị trực thuộc và lãnh đạo vào {ws.registry_path} trước khi tạo "
                "biểu mẫu (hoặc chạy lại init với --units <tệp Excel của Văn phòng>)."])
    blank = missing_identity(ws.office)
    if blank:
        _notes(["Thông tin văn bản còn trống: " + "; ".join(blank) + ". Điền trong settings.yaml (mục office)."])


@cli.group()
def forms():
    """Biểu mẫu: kiểm tra định nghĩa biểu mẫu."""


@forms.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False), metavar="[THƯ_MỤC]")
def forms_check(directory):
    """Kiểm tra các tệp định nghĩa biểu mẫu (YAML), chỉ rõ vị trí từng lỗi."""
    from .forms import check_forms, load_forms

    problems = check_forms(Path(directory) if directory else None)
    if problems:
        for p in problems:
            console.print(f"[red]✗[/] {p}")
        sys.exit(1)
    for form in load_forms(Path(directory) if directory else None).values():
        console.print(f"[green]✓[/] {form.id} ({form.name}, phiên bản {form.version}): {form.title} — {form.source}")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), metavar="THƯ_MỤC")
@click.option("--form", "form_id", required=True, help=FORM_HELP)
@click.option("--period", required=True, help=PERIOD_HELP)
@click.option("--units", "unit_codes", help="Chỉ tạo cho các mã đơn vị này (cách nhau bởi dấu phẩy).")
@click.option("--deadline", help="Hạn nộp của kỳ (dd/mm/yyyy); mặc định theo settings.yaml.")
def templates(directory, form_id, period, unit_codes, deadline):
    """Tạo biểu mẫu Excel cho từng đơn vị vào thư mục outbox của đợt."""
    from .templates import build_templates

    rnd = _round(directory, period, form_id)
    codes = [c.strip() for c in unit_codes.split(",")] if unit_codes else None
    with _progress_bar("Tạo biểu mẫu") as bar:
        task = bar.add_task("", total=None)
        result = _run(build_templates, rnd, unit_codes=codes, deadline=_date(deadline, "--deadline"),
                      progress=lambda i, n: bar.update(task, completed=i, total=n))
    console.print(f"Đã tạo {len(result)} biểu mẫu {rnd.form.name} kỳ {rnd.code} (hạn nộp {rnd.deadline:%d/%m/%Y}) "
                  f"trong {result.folder}")
    if result.skipped:
        console.print(f"Không tạo cho {len(result.skipped)} đơn vị:")
        for unit, why in result.skipped:
            console.print(f"  - {unit.name} ({unit.code}): {why}")
    _notes(result.notes)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), metavar="THƯ_MỤC")
@click.option("--period", required=True, help=PERIOD_HELP)
@click.option("--form", "form_id", help="Chỉ nhận biểu mẫu này. " + FORM_HELP)
@click.option("--inbox", type=click.Path(file_okay=False), help="Thư mục tệp nhận về (mặc định rounds/<kỳ>/inbox).")
@click.option("--no-feedback", is_flag=True, help="Không tạo tệp phản hồi cho đơn vị.")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
def collect(directory, period, form_id, inbox, no_feedback, as_json):
    """Tiếp nhận, kiểm tra các tệp đơn vị gửi về; tạo phản hồi và bảng kết quả tiếp nhận."""
    from .collect import STATUS_LABELS, collect as do_collect

    rnd = _round(directory, period, form_id)
    with _progress_bar("Tiếp nhận") as bar:
        task = bar.add_task("", total=None)
        result = _run(do_collect, rnd, inbox=inbox, feedback=not no_feedback,
                      progress=lambda i, n, name: bar.update(task, completed=i, total=n, description=name[-40:]))
    if as_json:
        _emit_json(result.to_dict())
    else:
        table = Table(title=f"Kết quả tiếp nhận kỳ {rnd.code}")
        for col in ("Tệp", "Đơn vị", "Kết quả", "Lỗi", "Cảnh báo"):
            table.add_column(col)
        colours = {"rejected": "red", "warnings": "yellow", "accepted": "green", "duplicate_rejected": "red",
                   "not_judged": "magenta"}
        for f in result.files:
            c = colours.get(f.status, "dim")
            table.add_row(f.file, f.unit, f"[{c}]{STATUS_LABELS[f.status]}[/]", str(f.errors), str(f.warnings))
        console.print(table)
        console.print(result.summary() + ".")
        console.print(f"Bảng kết quả tiếp nhận: {result.issues_workbook}")
        if any(f.feedback for f in result.files):
            console.print(f"Tệp phản hồi gửi đơn vị: {rnd.feedback_dir}")
    for f in (f for f in result.files if f.status == "not_judged"):  # the office's problem, said even with --json
        err.print(f"[bold magenta]Chưa xét:[/] {f.file}: {f.issues[0].message} {f.issues[0].hint}")
    sys.exit(2 if result.count("not_judged") else 1 if result.has_errors else 0)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), metavar="THƯ_MỤC")
@click.option("--period", required=True, help=PERIOD_HELP)
@click.option("--form", "form_id", help="Chỉ biểu mẫu này (mặc định: mọi biểu mẫu của đợt). " + FORM_HELP)
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
def status(directory, period, form_id, as_json):
    """Tình hình nộp báo cáo: đúng hạn, muộn, bị trả lại, chưa nộp."""
    from .status import SUBMISSION_STATES, not_registered_clause, round_statuses

    results = _run(round_statuses, _round(directory, period, form_id))
    if as_json:
        _emit_json(results[0].to_dict() if len(results) == 1 else [r.to_dict() for r in results])
        return
    for result in results:
        table = Table(title=f"Tình hình nộp {result.form_name} kỳ {result.period} (hạn {result.deadline})")
        for col in ("Mã", "Đơn vị", "Cấp trên", "Tình trạng", "Muộn (ngày)", "Số lỗi"):
            table.add_column(col)
        for u in result.units:
            table.add_row(u.code, u.name, u.parent, SUBMISSION_STATES[u.state], str(u.late_days or ""),
                          str(u.errors or ""))
        console.print(table)
        r = result.rates()
        console.print(f"Đã nộp {r['reported']}/{r['expected']} ({_pct(r['reporting_rate'])}), đúng hạn {r['on_time']} "
                      f"({_pct(r['on_time_rate'])}), muộn {r['late']}, bị trả lại {r['rejected']}, chưa nộp "
                      f"{r['missing']}{not_registered_clause(r)}.")
        for parent, pr in result.by_parent().items():
            console.print(f"  {parent}: {pr['reported']}/{pr['expected']} đã nộp, {pr['on_time']} đúng hạn")
        console.print(f"Danh sách chưa nộp: {result.workbook}")


def _pct(value) -> str:
    from .formatting import percent

    return percent(value)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), metavar="THƯ_MỤC")
@click.option("--period", required=True, help=PERIOD_HELP)
@click.option("--form", "form_id", help="Chỉ biểu mẫu này (mặc định: mọi biểu mẫu của đợt). " + FORM_HELP)
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
def merge(directory, period, form_id, as_json):
    """Tổng hợp dữ liệu đã tiếp nhận thành bảng tổng hợp của đợt (mỗi biểu mẫu một bảng)."""
    from .merge import merge as do_merge

    result = _run(do_merge, _round(directory, period, form_id))
    if as_json:
        _emit_json(result.to_dict())
        return
    for line in result.lines():
        console.print(line)


def _cycle_command(fn, directory, period, as_json) -> None:
    result = _run(fn, _round(directory, period))
    if as_json:
        _emit_json(result.to_dict())
        return
    for line in result.lines():
        console.print(line)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), metavar="THƯ_MỤC")
@click.option("--period", required=True, help="Kỳ đăng ký: năm (2026) hoặc nhiệm kỳ (2026-2030).")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
def confirm(directory, period, as_json):
    """Xác nhận nhiệm vụ đăng ký: tạo bảng xác nhận; chạy lại sau khi ghi ý kiến để áp dụng."""
    from .cycle.confirm import confirm as do_confirm

    _cycle_command(do_confirm, directory, period, as_json)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), metavar="THƯ_MỤC")
@click.option("--period", required=True, help="Năm (2026), một kỳ trong năm (2026-H1) hoặc nhiệm kỳ (2026-2030).")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
def adjust(directory, period, as_json):
    """Đề nghị điều chỉnh nhiệm vụ: tạo bảng đề nghị; chạy lại sau khi ghi ý kiến để áp dụng."""
    from .cycle.adjust import adjust as do_adjust

    _cycle_command(do_adjust, directory, period, as_json)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), metavar="THƯ_MỤC")
@click.option("--period", required=True, help="Năm (2026) hoặc nhiệm kỳ (2026-2030) của danh mục nhiệm vụ.")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
def history(directory, period, as_json):
    """Lịch sử nhiệm vụ: diễn biến từng nhiệm vụ qua các kỳ, các thay đổi và quyết định."""
    from .cycle.history import write_history

    _cycle_command(write_history, directory, period, as_json)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), metavar="THƯ_MỤC")
@click.option("--period", required=True, help="Nhiệm kỳ, ví dụ 2026-2030.")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
def term(directory, period, as_json):
    """Theo dõi nhiệm kỳ: bảng theo dõi, báo cáo nhiệm kỳ và phiếu theo dõi từng đồng chí lãnh đạo."""
    from .cycle.term import term_view

    _cycle_command(term_view, directory, period, as_json)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), metavar="THƯ_MỤC")
@click.option("--period", required=True, help=PERIOD_HELP + " Chấm điểm dùng các kỳ báo cáo tiến độ.")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
def score(directory, period, as_json):
    """Chấm điểm, xếp loại đơn vị và lãnh đạo (áp dụng tỷ lệ)."""
    from .score import score as do_score

    result = _run(do_score, _round(directory, period))
    if as_json:
        _emit_json(result.to_dict())
        return
    from .formatting import points

    label = " (sơ bộ)" if result.preliminary else ""
    for title, scores in (("đơn vị", result.units), ("lãnh đạo", result.leaders)):
        table = Table(title=f"Xếp loại {title}{label} kỳ {result.period}")
        for col in ("Hạng", "Mã", "Tên", "Điểm", "Xếp loại"):
            table.add_column(col)
        for s in scores:
            table.add_row(str(s.rank), s.subject_id, s.name, points(s.score), s.level + (" *" if s.pending else ""))
        console.print(table)
    _notes(result.notes)
    console.print(f"Bảng xếp loại (có giải thích từng trường hợp): {result.path}")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), metavar="THƯ_MỤC")
@click.option("--period", required=True, help=PERIOD_HELP)
@click.option("--form", "form_id", help="Chỉ văn bản của biểu mẫu này (mặc định: mọi biểu mẫu của đợt). " + FORM_HELP)
@click.option("--pdf", is_flag=True, help="Chuyển sang PDF (LibreOffice hoặc Microsoft Word nếu có).")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
def report(directory, period, form_id, pdf, as_json):
    """Xuất văn bản Word: báo cáo, phiếu đánh giá, bản cam kết, danh sách chưa nộp."""
    from .report import write_reports

    rnd = _round(directory, period, form_id)
    with _progress_bar("Xuất văn bản") as bar:
        task = bar.add_task("", total=None)
        result = _run(write_reports, rnd, pdf=pdf, progress=lambda i, n: bar.update(task, completed=i, total=n))
    if as_json:
        _emit_json(result.to_dict())
        return
    console.print(f"Đã xuất {len(result.documents)} văn bản vào {result.folder} ({result.seconds:.1f} giây).")
    if pdf:
        console.print(result.pdf_message)
    _notes(result.notes)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), metavar="THƯ_MỤC")
@click.option("--period", required=True, help=PERIOD_HELP)
@click.option("--form", "form_id", help="Chỉ biểu mẫu này. " + FORM_HELP)
@click.option("--pdf", is_flag=True, help="Chuyển văn bản sang PDF.")
def run(directory, period, form_id, pdf):
    """Chạy cả đợt: tiếp nhận → tình hình nộp → tổng hợp → xếp loại → văn bản."""
    from .pipeline import run_round

    result = _run(run_round, _round(directory, period, form_id), pdf=pdf, log=console.print)
    waiting = [f for f in result["collect"]["files"] if f["status"] == "not_judged"]
    for f in waiting:  # the machine's fault: said, and the round is not complete (exit 2)
        err.print(f"[bold magenta]Chưa xét:[/] {f['file']}: {f['issues'][0]['message']} {f['issues'][0]['hint']}")
    sys.exit(2 if waiting else 1 if not result["collect"]["ok"] else 0)


@cli.group("store")
def store_group():
    """Kho dữ liệu: kiểm tra với thư mục lưu trữ, dựng lại từ thư mục lưu trữ."""


@store_group.command("check")
@click.argument("directory", type=click.Path(file_okay=False), metavar="THƯ_MỤC")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
def store_check(directory, as_json):
    """Kiểm tra kho dữ liệu: toàn vẹn SQLite, đối chiếu với các tệp đã nhận trong thư mục lưu trữ (archive)."""
    from .rebuild import check_store

    result = _run(check_store, directory)
    if as_json:
        _emit_json(result.to_dict())
    else:
        for line in result.lines():
            console.print(line)
    sys.exit(0 if result.ok else 1)


@store_group.command("rebuild")
@click.argument("directory", type=click.Path(file_okay=False), metavar="THƯ_MỤC")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
def store_rebuild(directory, as_json):
    """Dựng lại kho dữ liệu từ thư mục lưu trữ: xét lại mọi tệp đã nhận của mọi kỳ theo thứ tự nhận, áp dụng lại
    ý kiến xác nhận và điều chỉnh; kho cũ được giữ lại bên cạnh."""
    from .rebuild import rebuild_store

    with _progress_bar("Dựng lại kho") as bar:
        task = bar.add_task("", total=None)
        result = _run(rebuild_store, directory,
                      progress=lambda i, n, name: bar.update(task, completed=i, total=n, description=name[-40:]))
    if as_json:
        _emit_json(result.to_dict())
    else:
        for line in result.lines():
            console.print(line)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), metavar="THƯ_MỤC")
@click.option("--output", type=click.Path(dir_okay=False), help="Đường dẫn tệp bảng điều khiển (.xlsm).")
def panel(directory, output):
    """Tạo bảng điều khiển Excel (nút macro gọi Python qua xlwings)."""
    from .panel import build_panel

    path = _run(build_panel, directory, output)
    console.print(f"Đã tạo bảng điều khiển: {path}")
    console.print("Mở tệp bằng Excel, bật macro (Enable Content) rồi bấm các nút trên trang 'Điều khiển'.")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), default="demo_workspace", metavar="[THƯ_MỤC]")
@click.option("--pdf/--no-pdf", default=True, help="Chuyển văn bản sang PDF khi có LibreOffice hoặc Word.")
def demo(directory, pdf):
    """Chạy thử một năm mẫu trên sample_workbooks/ (tạo thư mục làm việc mới)."""
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
