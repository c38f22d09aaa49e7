"""Command line: thin skin over the library.

One contract for every command (docs/ket-qua-lenh.md): exit codes 0 clean, 1 data errors found (rejected files,
a broken form definition), 2 could not run; ``--json`` prints :func:`toolkit.console.json_document` — the same
envelope (schema_version, command, period, exit_code, written, error) around the library's result. New commands
end with :func:`_finish` and call the library through :func:`_run` to keep it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from datetime import date, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from . import __version__
from .console import EXIT_DATA, EXIT_FAIL, EXIT_OK, VietnameseGroup, json_document, speak_vietnamese
from .errors import ToolkitError

speak_vietnamese()  # click's own words ("Usage:", "Missing option") in Vietnamese

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class _Notices(logging.Handler):
    """The library's passing notices (a clerk waiting for the round another holds), on stderr as they come."""

    def emit(self, record: logging.LogRecord) -> None:
        err.print(record.getMessage(), style="yellow", markup=False)


logging.getLogger("toolkit.notice").addHandler(_Notices())
logging.getLogger("toolkit.notice").propagate = False

FORM_HELP = ("Mã biểu mẫu: registration hoặc dang-ky (đăng ký), breakthrough hoặc dot-pha (việc đột phá), progress hoặc "
             "tien-do (tiến độ), followup hoặc theo-doi (nắm, góp, kiểm).")
PERIOD_HELP = "Kỳ báo cáo: 2026, 2026-Q1…Q4, 2026-H1 (6 tháng), 2026-9M, 2026-Y (tổng kết năm), 2026-2030 (nhiệm kỳ)."


def _command_name() -> str:
    ctx = click.get_current_context()
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.command.name)
        ctx = ctx.parent
    return " ".join(reversed(names))


def _json_wanted() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.params.get("as_json"))


def _finish(result=None, code: int = EXIT_OK, period: str | None = None, written=()) -> None:
    """End a command: with --json print the one document every command prints, then exit with ``code``."""
    if _json_wanted():
        _emit_json(json_document(_command_name(), result, code, period, written))
    sys.exit(code)


def _fail(message: str, label: str = "Lỗi") -> None:
    """Could not run (exit 2): the message on stderr, and with --json the document with ``error`` on stdout."""
    err.print(f"[bold red]{label}:[/] {message}")
    # a writer left half-open by the fault (a zip on a full disk) fails again when collected at exit: the clerk
    # was told what happened, Python's "Exception ignored in ..." traceback would only hide it
    sys.unraisablehook = lambda unraisable: None
    if _json_wanted():
        period = click.get_current_context().params.get("period")
        _emit_json(json_document(_command_name(), None, EXIT_FAIL, period if isinstance(period, str) else None,
                                 error=f"{label}: {message}"))
    sys.exit(EXIT_FAIL)


def _run(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ToolkitError as exc:
        _fail(str(exc))
    except OSError as exc:
        import errno
        import os

        from .machine import describe_os_error, read_only_workspace

        ctx = click.get_current_context(silent=True)
        root = ctx.params.get("directory") if ctx else None
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) and root and os.path.isdir(root) \
                and not os.access(root, os.W_OK):  # the workspace itself cannot be written: one sentence for it
            _fail(read_only_workspace(str(root)))
        _fail(describe_os_error(exc), "Lỗi tệp/thư mục")
    except sqlite3.Error as exc:
        from .machine import describe_db_error

        _fail(describe_db_error(exc))
    except Exception as exc:  # a writer library wrapping the disk's error (xlsxwriter's FileCreateError...)
        from .machine import describe, is_db_error, storage_cause

        cause = storage_cause(exc)
        if cause is None:
            raise
        _fail(describe(cause), "Lỗi" if is_db_error(cause) else "Lỗi tệp/thư mục")  # a PostgreSQL server's error


def _form_option(value):
    """click callback: a form's Vietnamese alias (dang-ky, tien-do, dot-pha, theo-doi) becomes its code."""
    from .definitions.forms import canonical_form_id

    return canonical_form_id(value) if value else value


def _round(directory, period: str, form_id: str | None = None):
    from .round import open_round

    rnd = _run(open_round, directory, period, form_id)
    click.get_current_context().call_on_close(rnd.ctx.close)  # the store's handle let go when the command ends
    return rnd


def _date(value: str | None, option: str) -> date | None:
    if not value:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            pass
    _fail(f"{option} '{value}' không phải ngày (dùng dạng 31/01/2026).")


class _Counter(ProgressColumn):
    """'3/20' once the number of items is known; nothing before (never '0/None')."""

    def render(self, task):
        return Text("" if task.total is None else f"{int(task.completed)}/{int(task.total)}")


def _progress_bar(label: str):
    # drawn on a terminal only: on a redirected stderr rich would still write a line break as it stops
    return Progress(TextColumn(label), BarColumn(), _Counter(), TextColumn("{task.description}"),
                    TimeElapsedColumn(), console=err, transient=True, disable=not err.is_interactive)


def _emit_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# options every command spells and means the same way
DIRECTORY = click.argument("directory", type=click.Path(file_okay=False), metavar="THƯ_MỤC")
JSON = click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON (docs/ket-qua-lenh.md).")


def _period(help_text: str = PERIOD_HELP, required: bool = True):
    return click.option("--period", "-p", required=required, metavar="KỲ", help=help_text)


def _form(help_text: str = FORM_HELP, required: bool = False):
    return click.option("--form", "-f", "form_id", required=required, metavar="BIỂU_MẪU", callback=lambda c, p, v:
                        _form_option(v), help=help_text)


def _notes(lines) -> None:
    for line in lines:
        console.print(f"[yellow]Lưu ý:[/] {line}")


@click.group(cls=VietnameseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="toolkit", message="%(prog)s, phiên bản %(version)s")
def cli():
    """Bộ công cụ theo dõi nhiệm vụ trọng tâm, cam kết trách nhiệm (Excel)."""


@cli.command()
@DIRECTORY
@click.option("--office", metavar="TÊN", help='Tên cấp ủy, ví dụ "Tỉnh ủy Hòa An", "Huyện ủy Lạc Sơn", "Đảng ủy xã Tân Lạc".')
@click.option("--parent-body", metavar="TÊN", help='Tổ chức đảng cấp trên (dòng đầu tiêu đề văn bản), ví dụ "Đảng bộ tỉnh Hòa Bình" '
                                    "(cần với huyện ủy, đảng ủy xã).")
@click.option("--signer", metavar="HỌ_TÊN", help="Họ tên người ký văn bản.")
@click.option("--signer-title", metavar="CHỨC_VỤ", help='Chức vụ người ký, ví dụ "Phó Bí thư Thường trực".')
@click.option("--units", "units_file", type=click.Path(dir_okay=False), metavar="TỆP_EXCEL",
              help="Tệp Excel danh sách đơn vị và lãnh đạo của Văn phòng.")
@click.option("--period", "-p", "periods", multiple=True, metavar="KỲ", help="Kỳ cần tạo thư mục (mặc định: các kỳ của năm nay; từ tháng 10: "
                                                       "tổng kết năm nay và các kỳ năm sau). Dùng nhiều lần được.")
@click.option("--deadline", "-d", "deadlines", multiple=True, metavar="[KỲ=]NGÀY",
              help="Hạn nộp: 31/01/2026 (khi chỉ có một --period) hoặc KỲ=NGÀY, ví dụ 2026-H1=10/07/2026. "
                   "Dùng nhiều lần được.")
@click.option("--store", "store_url", metavar="ĐỊA_CHỈ",
              help="Kho dữ liệu trên máy chủ PostgreSQL (nhiều người, nhiều máy): postgresql://người_dùng@máy_chủ:5432/"
                   "tên_csdl. Mật khẩu không ghi ở đây (PGPASSWORD hoặc tệp pgpass). Bỏ trống: tệp SQLite trong thư mục.")
@JSON
def init(directory, office, parent_body, signer, signer_title, units_file, periods, deadlines, as_json, store_url):
    """Tạo thư mục làm việc: cấu hình, danh sách đơn vị, thư mục từng đợt."""
    from .periods import parse_period
    from .workspace.config import deadline_note, default_periods, init_workspace
    from .workspace.office import missing_identity

    periods = list(periods) or default_periods()
    for p in periods:
        _run(parse_period, p)
    given = _deadlines(deadlines, periods)
    ws = _run(init_workspace, directory, office=office, units=units_file, periods=periods, parent_body=parent_body,
              signer_name=signer, signer_title=signer_title, deadlines=given)
    from .definitions.workbook import ensure_workbook

    book = _run(ensure_workbook, ws)  # the definitions workbook the office edits (shipped defaults)
    if store_url:
        from .store.transfer import use_store

        _run(use_store, ws, store_url)
    notes = [n for n in (deadline_note(ws, parse_period(c)) for c in periods) if n]
    if units_file:  # leaders no form can reach (a registry with errors is reported by the first command)
        from .context import load_context
        from .outputs.templates import unreachable_note

        try:
            notes += [n for n in [unreachable_note(load_context(ws))] if n]
        except ToolkitError:
            pass
    if not units_file:
        notes.append(f"Chưa có --units: điền danh sách đơn vị trực thuộc và lãnh đạo vào {ws.registry_path} trước khi "
                     "tạo biểu mẫu (hoặc chạy lại init với --units <tệp Excel của Văn phòng>).")
    blank = missing_identity(ws.office)
    if blank:
        notes.append("Thông tin văn bản còn trống: " + "; ".join(blank) + ". Điền ở trang 'Thiết lập' của cau_hinh.xlsx.")
    if as_json:
        result = {"root": str(ws.root), "office": ws.office.get("name", ""), "registry": str(ws.registry_path),
                  "settings": str(ws.root / "settings.yaml"), "notes": notes,
                  "deadlines": {parse_period(c).code: ws.deadline(parse_period(c)) for c in periods}}
        result["definitions"] = str(book)
        _finish(result, written=[ws.root / "settings.yaml", ws.registry_path, book])
    console.print(f"Đã tạo thư mục làm việc [bold]{ws.root}[/] ({ws.office['name']}).")
    console.print(f"  Danh sách đơn vị: {ws.registry_path}")
    console.print(f"  Cấu hình: {ws.root / 'settings.yaml'}")
    console.print(f"  Biểu mẫu, danh mục, quy tắc, chấm điểm: {book}")
    if store_url:
        console.print(f"  Kho dữ liệu: {store_url} (PostgreSQL)")
    for code in periods:
        p = parse_period(code)
        console.print(f"  Kỳ {p.code} ({p.label}): hạn nộp {ws.deadline(p):%d/%m/%Y}")
    _notes(notes)


def _deadlines(values, periods) -> dict:
    """--deadline values, the same in init and templates: a date for the only period, or KỲ=NGÀY."""
    from .periods import parse_period

    given = {}
    for d in values:
        code, _, value = d.rpartition("=")
        if not code:
            if len(periods) != 1:
                _fail("có nhiều kỳ: ghi --deadline dạng KỲ=NGÀY, ví dụ 2026-H1=10/07/2026.")
            code = periods[0]
        given[_run(parse_period, code).code] = _date(value, "--deadline")
    return given


@cli.group()
def forms():
    """Biểu mẫu: kiểm tra định nghĩa biểu mẫu."""


@forms.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False), metavar="[THƯ_MỤC]")
@JSON
def forms_check(directory, as_json):
    """Kiểm tra định nghĩa biểu mẫu (cau_hinh.xlsx, hoặc các tệp YAML), chỉ rõ vị trí từng lỗi."""
    from .definitions.forms import check_forms, load_forms
    from .definitions.workbook import check_workbook, workbook_path

    if directory and workbook_path(directory).is_file():
        problems, annotated, notes = _run(check_workbook, Path(directory))
        if not problems:
            from .workspace.config import align_settings

            notes += [n for n in [_run(align_settings, Path(directory))] if n]
        forms_ = [] if problems else list(load_forms(Path(directory)).values())
        if not as_json:
            for p in problems:
                console.print(f"[red]✗[/] {p}")
            if annotated:
                console.print(f"Đã đánh dấu {len(problems)} ô sai (tô đỏ, có ghi chú) trong bản sao: {annotated}")
            for form in forms_:
                console.print(f"[green]✓[/] {form.id} ({form.name}, phiên bản {form.version}): {form.title} — "
                              f"{workbook_path(directory).name}")
            _notes(notes)
        _finish({"problems": [str(p) for p in problems], "annotated": str(annotated) if annotated else None,
                 "forms": [{"id": f.id, "name": f.name, "version": f.version, "title": f.title,
                            "source": str(f.source)} for f in forms_], "notes": notes},
                EXIT_DATA if problems else EXIT_OK, written=[annotated] if annotated else ())
    problems = check_forms(Path(directory) if directory else None)
    forms_ = [] if problems else list(load_forms(Path(directory) if directory else None).values())
    if not as_json:
        for p in problems:
            console.print(f"[red]✗[/] {p}")
        for form in forms_:
            console.print(f"[green]✓[/] {form.id} ({form.name}, phiên bản {form.version}): {form.title} — {form.source}")
    _finish({"problems": problems, "forms": [{"id": f.id, "name": f.name, "version": f.version, "title": f.title,
                                              "source": str(f.source)} for f in forms_]},
            EXIT_DATA if problems else EXIT_OK)


@forms.command("export")
@DIRECTORY
@click.option("--output", "-o", type=click.Path(dir_okay=False), metavar="TỆP",
              help="Ghi ra tệp này (mặc định: cau_hinh.xlsx trong thư mục làm việc).")
@JSON
def forms_export(directory, output, as_json):
    """Ghi định nghĩa đang dùng (biểu mẫu, danh mục, quy tắc, chấm điểm, thiết lập) ra tệp Excel cau_hinh.xlsx."""
    from .definitions.workbook import export_workbook, workbook_path
    from .workspace.config import Workspace

    ws = _run(Workspace.open, directory)
    path = _run(export_workbook, ws, Path(output) if output else None)
    if not as_json:
        own = workbook_path(ws.root)
        if Path(path).resolve() == own.resolve():
            console.print(f"Đã ghi định nghĩa ra {path}: sửa bằng Excel rồi chạy 'toolkit forms check {directory}'.")
        else:  # a copy elsewhere: the commands read the workspace's own workbook only
            console.print(f"Đã ghi định nghĩa ra {path} (bản sao). Các lệnh chỉ đọc {own}: sửa tệp đó, hoặc sửa bản sao "
                          f"rồi chép đè lên nó, sau đó chạy 'toolkit forms check {directory}'.")
    _finish({"path": str(path)}, written=[path])


@cli.command()
@DIRECTORY
@_form(required=True)
@_period()
@click.option("--unit", "-u", "unit_codes", multiple=True, metavar="MÃ_ĐƠN_VỊ",
              help="Chỉ tạo cho đơn vị này (mã đơn vị; dùng nhiều lần hoặc cách nhau bởi dấu phẩy).")
@click.option("--units", "old_unit_codes", hidden=True)  # before --unit: a comma-separated list of unit codes
@click.option("--deadline", "-d", metavar="[KỲ=]NGÀY",
              help="Hạn nộp của kỳ: 31/01/2026 hoặc KỲ=NGÀY như ở init; mặc định theo settings.yaml.")
@JSON
def templates(directory, form_id, period, unit_codes, old_unit_codes, deadline, as_json):
    """Tạo biểu mẫu Excel cho từng đơn vị vào thư mục outbox của đợt."""
    from .outputs.templates import build_templates

    rnd = _round(directory, period, form_id)
    codes = [c.strip() for v in (*unit_codes, old_unit_codes or "") for c in v.split(",") if c.strip()] or None
    due = None
    if deadline:
        given = _deadlines([deadline], [rnd.code])
        if rnd.code not in given:
            _fail(f"--deadline {deadline} ghi kỳ khác với --period {rnd.code}.")
        due = given[rnd.code]
    with _progress_bar("Tạo biểu mẫu") as bar:
        task = bar.add_task("", total=None)
        result = _run(build_templates, rnd, unit_codes=codes, deadline=due,
                      progress=lambda i, n: bar.update(task, completed=i, total=n))
    if as_json:
        _finish({"form": rnd.form.id, "deadline": rnd.deadline, "folder": str(result.folder),
                 "templates": [str(p) for p in result.paths], "notes": result.notes,
                 "skipped": [{"unit": u.code, "name": u.name, "reason": why} for u, why in result.skipped]},
                period=rnd.code, written=result.paths)
    console.print(f"Đã tạo {len(result)} biểu mẫu {rnd.form.name} kỳ {rnd.code} (hạn nộp {rnd.deadline:%d/%m/%Y}) "
                  f"trong {result.folder}")
    if result.skipped:
        console.print(f"Không tạo cho {len(result.skipped)} đơn vị:")
        for unit, why in result.skipped:
            console.print(f"  - {unit.name} ({unit.code}): {why}")
    _notes(result.notes)


@cli.command()
@DIRECTORY
@_period()
@_form("Chỉ nhận biểu mẫu này. " + FORM_HELP)
@click.option("--inbox", type=click.Path(file_okay=False), metavar="THƯ_MỤC",
              help="Thư mục tệp nhận về (mặc định rounds/<kỳ>/inbox).")
@click.option("--no-feedback", is_flag=True, help="Không tạo tệp phản hồi cho đơn vị.")
@JSON
def collect(directory, period, form_id, inbox, no_feedback, as_json):
    """Tiếp nhận, kiểm tra các tệp đơn vị gửi về; tạo phản hồi và bảng kết quả tiếp nhận."""
    from .intake.collect import collect as do_collect

    rnd = _round(directory, period, form_id)
    with _progress_bar("Tiếp nhận") as bar:
        task = bar.add_task("", total=None)
        result = _run(do_collect, rnd, inbox=inbox, feedback=not no_feedback,
                      progress=lambda i, n, name: bar.update(task, completed=i, total=n, description=name[-40:]))
    if not as_json:
        table = Table(title=f"Kết quả tiếp nhận kỳ {rnd.code}")
        for col in ("Tệp", "Đơn vị", "Kết quả", "Lỗi", "Cảnh báo"):
            table.add_column(col)
        colours = {"rejected": "red", "warnings": "yellow", "accepted": "green", "duplicate_rejected": "red",
                   "not_judged": "magenta"}
        for f in result.files:
            c = colours.get(f.status, "dim")
            table.add_row(f.file, f.unit, f"[{c}]{f.status_label}[/]", str(f.errors), str(f.warnings))
        console.print(table)
        console.print(result.summary() + ".")
        console.print(f"Bảng kết quả tiếp nhận: {result.issues_workbook}")
        if any(f.feedback for f in result.files):
            console.print(f"Tệp phản hồi gửi đơn vị: {rnd.feedback_dir}")
    for f in (f for f in result.files if f.status == "not_judged"):  # the office's problem, said even with --json
        err.print(f"[bold magenta]Chưa xét:[/] {f.file}: {f.issues[0].message} {f.issues[0].hint}")
    code = EXIT_FAIL if result.count("not_judged") else EXIT_DATA if result.has_errors else EXIT_OK
    _finish(result.to_dict(), code, rnd.code, [result.issues_workbook, *(f.feedback for f in result.files if f.feedback)])


@cli.command()
@DIRECTORY
@_period()
@_form("Chỉ biểu mẫu này (mặc định: mọi biểu mẫu của đợt). " + FORM_HELP)
@JSON
def status(directory, period, form_id, as_json):
    """Tình hình nộp báo cáo: đúng hạn, muộn, bị trả lại (mã thoát 1), chưa nộp."""
    from .outputs.status import SUBMISSION_STATES, round_statuses

    rnd = _round(directory, period, form_id)
    results = _run(round_statuses, rnd)
    code = EXIT_DATA if any(r.rates()["rejected"] for r in results) else EXIT_OK
    written = [r.workbook for r in results]
    if as_json:  # one form: its result's keys; several: the list under "items"
        _finish(results[0].to_dict() if len(results) == 1 else [r.to_dict() for r in results], code, rnd.code, written)
    for result in results:
        table = Table(title=f"Tình hình nộp {result.form_name} kỳ {result.period} (hạn {result.deadline})")
        for col in ("Mã", "Đơn vị", "Cấp trên", "Tình trạng", "Muộn (ngày)", "Ngày nộp được tính", "Số lỗi"):
            table.add_column(col)
        for u in result.units:
            table.add_row(u.code, u.name, u.parent, SUBMISSION_STATES[u.state], str(u.late_days or ""), u.counted,
                          str(u.errors or ""))
        console.print(table)
        r = result.rates()
        console.print(r.detail(_pct))
        for parent, pr in result.by_parent().items():
            console.print(f"  {parent}: {pr['reported']}/{pr['expected']} đã nộp, {pr['on_time']} đúng hạn")
        console.print(f"Danh sách chưa nộp: {result.workbook}")
    _finish(code=code)


def _pct(value) -> str:
    from .formatting import percent

    return percent(value)


@cli.command()
@DIRECTORY
@_period()
@_form("Chỉ biểu mẫu này (mặc định: mọi biểu mẫu của đợt). " + FORM_HELP)
@JSON
def merge(directory, period, form_id, as_json):
    """Tổng hợp dữ liệu đã tiếp nhận thành bảng tổng hợp của đợt (mỗi biểu mẫu một bảng)."""
    from .outputs.merge import merge as do_merge

    rnd = _round(directory, period, form_id)
    result = _run(do_merge, rnd)
    if not as_json:
        for line in result.lines():
            console.print(line)
    _finish(result.to_dict(), period=rnd.code, written=[o.path for o in result.outputs] or [result.path])


def _cycle_command(fn, directory, period, as_json) -> None:
    rnd = _round(directory, period)
    result = _run(fn, rnd)
    if not as_json:
        for line in result.lines():
            console.print(line)
    _finish(result.to_dict(), period=rnd.code, written=[getattr(result, "path", None)])


@cli.command()
@DIRECTORY
@_period("Kỳ đăng ký: năm (2026) hoặc nhiệm kỳ (2026-2030).")
@JSON
def confirm(directory, period, as_json):
    """Xác nhận nhiệm vụ đăng ký: tạo bảng xác nhận; chạy lại sau khi ghi ý kiến để áp dụng."""
    from .cycle.confirm import confirm as do_confirm

    _cycle_command(do_confirm, directory, period, as_json)


@cli.command()
@DIRECTORY
@_period("Năm (2026), một kỳ trong năm (2026-H1) hoặc nhiệm kỳ (2026-2030).")
@JSON
def adjust(directory, period, as_json):
    """Đề nghị điều chỉnh nhiệm vụ: tạo bảng đề nghị; chạy lại sau khi ghi ý kiến để áp dụng."""
    from .cycle.adjust import adjust as do_adjust

    _cycle_command(do_adjust, directory, period, as_json)


@cli.command()
@DIRECTORY
@_period("Năm (2026) hoặc nhiệm kỳ (2026-2030) của danh mục nhiệm vụ.")
@JSON
def history(directory, period, as_json):
    """Lịch sử nhiệm vụ: diễn biến từng nhiệm vụ qua các kỳ, các thay đổi và quyết định."""
    from .cycle.history import write_history

    _cycle_command(write_history, directory, period, as_json)


@cli.command()
@DIRECTORY
@_period("Nhiệm kỳ, ví dụ 2026-2030.")
@JSON
def term(directory, period, as_json):
    """Theo dõi nhiệm kỳ: bảng theo dõi, báo cáo nhiệm kỳ và phiếu theo dõi từng đồng chí lãnh đạo."""
    from .cycle.term import term_view

    _cycle_command(term_view, directory, period, as_json)


@cli.command()
@DIRECTORY
@_period(PERIOD_HELP + " Chấm điểm dùng các kỳ báo cáo tiến độ.")
@JSON
def score(directory, period, as_json):
    """Chấm điểm, xếp loại đơn vị và lãnh đạo (áp dụng tỷ lệ)."""
    from .outputs.score import score as do_score

    rnd = _round(directory, period)
    result = _run(do_score, rnd)
    if as_json:
        _finish(result.to_dict(), period=rnd.code, written=[result.path])
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
    _finish()


@cli.command()
@DIRECTORY
@_period()
@_form("Chỉ văn bản của biểu mẫu này (mặc định: mọi biểu mẫu của đợt). " + FORM_HELP)
@click.option("--pdf", is_flag=True, help="Chuyển sang PDF (Microsoft Word, hoặc LibreOffice khi máy không có Word).")
@JSON
def report(directory, period, form_id, pdf, as_json):
    """Xuất văn bản Word: báo cáo, phiếu đánh giá, bản cam kết, danh sách chưa nộp."""
    from .outputs.report import write_reports

    rnd = _round(directory, period, form_id)
    with _progress_bar("Xuất văn bản") as bar:
        task = bar.add_task("", total=None)
        result = _run(write_reports, rnd, pdf=pdf, progress=lambda i, n: bar.update(task, completed=i, total=n))
    if not as_json:
        from .formatting import seconds

        console.print(f"Đã xuất {len(result.documents)} văn bản vào {result.folder} ({seconds(result.seconds)}).")
        if pdf:
            console.print(result.pdf_message)
        _notes(result.notes)
    _finish(result.to_dict(), period=rnd.code, written=[*result.documents, *result.pdfs])


@cli.command()
@DIRECTORY
@_period()
@_form("Chỉ biểu mẫu này. " + FORM_HELP)
@click.option("--pdf", is_flag=True, help="Chuyển văn bản sang PDF.")
@click.option("--fetch", is_flag=True, help="Trước hết tải thư có tệp đính kèm từ hộp thư (toolkit mail fetch).")
@JSON
def run(directory, period, form_id, pdf, fetch, as_json):
    """Chạy cả đợt: (tải thư →) tiếp nhận → tình hình nộp → tổng hợp → xếp loại → văn bản."""
    from .outputs.beside import prepare_merge

    merging = prepare_merge()  # the merge's process starts first: its imports beside this process's (outputs.beside)
    try:
        from .pipeline import run_round

        rnd = _round(directory, period, form_id)
    except BaseException:
        merging.abort()  # (still starting: ended at once)
        raise
    result = _run(run_round, rnd, pdf=pdf, log=(lambda line: None) if as_json else console.print, fetch=fetch,
                  merging=merging).to_dict()
    written = [result["collect"]["issues_workbook"], *(s["workbook"] for s in result["status"]),
               result["merge"]["path"], (result.get("score") or {}).get("path"),
               *result["report"]["documents"], *result["report"]["pdfs"]]
    waiting = [f for f in result["collect"]["files"] if f["status"] == "not_judged"]
    for f in waiting:  # the machine's fault: said, and the round is not complete (exit 2)
        err.print(f"[bold magenta]Chưa xét:[/] {f['file']}: {f['issues'][0]['message']} {f['issues'][0]['hint']}")
    _finish(result, EXIT_FAIL if waiting else EXIT_DATA if not result["collect"]["ok"] else EXIT_OK, rnd.code, written)


@cli.group()
def mail():
    """Thư điện tử: tải tệp đơn vị gửi từ hộp thư (IMAP), gửi phản hồi và thư nhắc (SMTP)."""


@mail.command("fetch")
@DIRECTORY
@_period()
@click.option("--since", metavar="NGÀY", help="Chỉ xem thư từ ngày này (dd/mm/yyyy); mặc định 60 ngày trước hạn nộp.")
@JSON
def mail_fetch(directory, period, since, as_json):
    """Tải các thư có bảng tính, tệp nén đính kèm vào inbox của kỳ (không xoá, không chuyển thư)."""
    from .mail.fetch import fetch_round

    rnd = _round(directory, period)
    with _progress_bar("Tải thư") as bar:
        task = bar.add_task("", total=None)
        result = _run(fetch_round, rnd, since=_date(since, "--since"),
                      progress=lambda i, n, name: bar.update(task, completed=i, total=n, description=name[-40:]))
    if as_json:
        _finish(result.to_dict(), EXIT_OK, rnd.code)
    for f in result.fetched:
        console.print(f"  {f['folder']}: {f['from']} — {f['subject']} ({len(f['files'])} tệp)")
    console.print(result.summary() + ".")
    console.print(f"Tiếp nhận bằng: toolkit collect {directory} --period {rnd.code}")


@mail.command("send")
@DIRECTORY
@_period()
@click.option("--send", "really", is_flag=True, help="Gửi thật qua SMTP (mặc định chỉ soạn thư .eml để kiểm tra).")
@JSON
def mail_send(directory, period, really, as_json):
    """Soạn (và với --send thì gửi) thư phản hồi kèm tệp phản hồi, thư nhắc đơn vị chưa nộp."""
    from .mail.send import send_round

    rnd = _round(directory, period)
    with _progress_bar("Gửi thư") as bar:
        task = bar.add_task("", total=None)
        result = _run(send_round, rnd, send=really,
                      progress=lambda i, n, name: bar.update(task, completed=i, total=n, description=name[-40:]))
    code = EXIT_DATA if result.count("failed") else EXIT_OK
    if as_json:
        _finish(result.to_dict(), code, rnd.code)
    else:
        labels = {"prepared": "đã soạn", "sent": "đã gửi", "already_sent": "gửi từ trước", "failed": "không gửi được",
                  "no_address": "không có địa chỉ"}
        for m in result.messages:
            console.print(f"  {m.unit} {m.unit_name}: {'phản hồi' if m.kind == 'feedback' else 'nhắc nộp'} → "
                          f"{', '.join(m.to) or '—'} [{labels[m.state]}] {m.detail}")
        console.print(result.summary() + ".")
    _finish(None, code)


@mail.command("password")
@DIRECTORY
@click.password_option("--password", prompt="Mật khẩu hộp thư", confirmation_prompt="Nhập lại mật khẩu")
@JSON
def mail_password(directory, password, as_json):
    """Lưu mật khẩu hộp thư vào kho mật khẩu của máy (Windows Credential Manager...), không ghi ra tệp."""
    from .mail.connection import save_password
    from .workspace.config import Workspace

    ws = _run(Workspace.open, directory)
    mail_settings = ws.settings.get("mail") or {}
    user = (mail_settings.get("imap") or {}).get("user") or (mail_settings.get("smtp") or {}).get("user")
    if not user:
        _fail("chưa khai báo mail.imap.user trong settings.yaml.")
    where = _run(save_password, mail_settings, user, password)
    if as_json:
        _finish({"user": user, "keyring": where})
    console.print(f"Đã lưu mật khẩu của {user} vào kho mật khẩu của máy ({where}).")


@cli.group("store")
def store_group():
    """Kho dữ liệu: kiểm tra với thư mục lưu trữ, dựng lại từ thư mục lưu trữ."""


@store_group.command("check")
@DIRECTORY
@JSON
def store_check(directory, as_json):
    """Kiểm tra kho dữ liệu: toàn vẹn SQLite, đối chiếu với các tệp đã nhận trong thư mục lưu trữ (archive)."""
    from .rebuild import check_store

    result = _run(check_store, directory)
    if not as_json:
        for line in result.lines():
            console.print(line)
    _finish(result.to_dict(), EXIT_OK if result.ok else EXIT_DATA)


@store_group.command("migrate")
@DIRECTORY
@click.option("--to", "to", required=True, metavar="ĐỊA_CHỈ",
              help="Kho mới: postgresql://người_dùng@máy_chủ:5432/tên_csdl, hoặc 'sqlite' (tệp trong thư mục làm việc).")
@JSON
def store_migrate(directory, to, as_json):
    """Chuyển kho dữ liệu sang PostgreSQL (hoặc về SQLite): chép mọi bảng, đối chiếu số dòng từng bảng, rồi ghi địa
    chỉ kho mới vào settings.yaml; kho cũ được giữ nguyên."""
    from .rebuild import migrate_store

    result = _run(migrate_store, directory, to)
    if not as_json:
        for line in result.lines():
            console.print(line)
    _finish(result.to_dict())


@store_group.command("rebuild")
@DIRECTORY
@click.option("--force", is_flag=True, help="Dựng lại cả khi kho có tệp đã nhận không có trong thư mục lưu trữ này "
              "(các tệp đó sẽ không còn trong kho mới).")
@JSON
def store_rebuild(directory, force, as_json):
    """Dựng lại kho dữ liệu từ thư mục lưu trữ: xét lại mọi tệp đã nhận của mọi kỳ theo thứ tự nhận, áp dụng lại
    ý kiến xác nhận và điều chỉnh; kho cũ được giữ lại bên cạnh."""
    from .rebuild import rebuild_store

    with _progress_bar("Dựng lại kho") as bar:
        task = bar.add_task("", total=None)
        result = _run(rebuild_store, directory, force=force,
                      progress=lambda i, n, name: bar.update(task, completed=i, total=n, description=name[-40:]))
    if not as_json:
        for line in result.lines():
            console.print(line)
    _finish(result.to_dict())


@cli.command()
@DIRECTORY
@click.option("--output", "-o", type=click.Path(dir_okay=False), metavar="TỆP",
              help="Đường dẫn tệp bảng điều khiển (.xlsm).")
@JSON
def panel(directory, output, as_json):
    """Tạo bảng điều khiển Excel (nút macro gọi Python qua xlwings)."""
    from .panel import build_panel

    path = _run(build_panel, directory, output)
    from .panel import launcher_name, recorded_name

    launcher = path.parent / launcher_name(path)
    if not as_json:
        console.print(f"Đã tạo bảng điều khiển: {path}")
        console.print("Mở tệp bằng Excel, bật macro (Enable Content) rồi bấm các nút trên trang 'Điều khiển'.")
        console.print(f"Khi bấm nút, Python được tìm trên chính máy đó ({launcher.name}): Python ghi trong "
                      f"{recorded_name(path)} ({sys.executable}), rồi lệnh py, rồi python.")
        if sys.platform != "win32":
            _notes(["Bảng điều khiển tạo trên máy không chạy Windows: đường dẫn Python của máy này không dùng được "
                    "trên máy Windows, nên ở đó nút bấm sẽ tìm Python bằng lệnh py hoặc python."])
    _finish({"panel": str(path), "launcher": str(launcher)},
            written=[path, path.with_suffix(".py"), launcher, path.parent / recorded_name(path)])


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), default="demo_workspace", metavar="[THƯ_MỤC]")
@click.option("--pdf/--no-pdf", default=True, help="Chuyển văn bản sang PDF khi có Word hoặc LibreOffice.")
@JSON
def demo(directory, pdf, as_json):
    """Chạy thử một năm mẫu trên bộ tệp mẫu đi kèm (tạo thư mục làm việc mới; thư mục chạy thử cũ được giữ lại,
    đổi tên thành <tên>_cu_<thời điểm>)."""
    from .demo import run_demo

    result = _run(run_demo, directory, pdf=pdf, log=(lambda line: None) if as_json else console.print)
    _finish(result, written=[directory])


@cli.command()
@click.option("--markdown", is_flag=True, help="In bảng mã lỗi dạng Markdown (docs/issue-codes.md).")
@JSON
def codes(markdown, as_json):
    """Danh mục mã lỗi và thông báo."""
    from .issues import CATALOGUE, catalogue_markdown

    if as_json:
        _finish({"codes": [{"code": c.code, "severity": c.severity.value, "severity_label": c.severity.label,
                            "message": c.message} for c in CATALOGUE.values()]})
    if markdown:
        click.echo(catalogue_markdown(), nl=False)
        return
    for c in CATALOGUE.values():
        console.print(f"{c.code:28} {c.severity.label:9} {c.message}")


# Vietnamese names beside the English ones (typed without marks; `toolkit --help` lists both)
for _name, *_aliases in (("init", "khoi-tao"), ("forms", "bieu-mau"), ("templates", "tao-bieu-mau"),
                         ("collect", "tiep-nhan"), ("status", "tinh-hinh"), ("merge", "tong-hop"),
                         ("confirm", "xac-nhan"), ("adjust", "dieu-chinh"), ("history", "lich-su"),
                         ("term", "nhiem-ky"), ("score", "xep-loai"), ("report", "van-ban"), ("run", "chay"),
                         ("panel", "bang-dieu-khien"), ("demo", "chay-thu"), ("codes", "ma-loi")):
    cli.alias(_name, *_aliases)
forms.alias("check", "kiem-tra")
forms.alias("export", "xuat")


def main():  # pragma: no cover
    cli()
