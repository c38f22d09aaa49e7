"""A file rejected for a reason that lies in the round or the registry, not in the file (collected with the wrong
--form, dropped in another period's inbox, its unit not yet in the list), is read again on the next collect and
accepted once the reason is gone; a file rejected for its own content stays rejected until the unit sends a fix."""

import json
import shutil
from datetime import date

from click.testing import CliRunner
from conftest import make_return, task

from toolkit.cli import cli
from toolkit.periods import parse_period
from toolkit.round import open_round
from toolkit.store import Store


def collect(ws, *args):
    r = CliRunner().invoke(cli, ["collect", str(ws.root), *args, "--json"])
    return r.exit_code, {f["file"]: f for f in json.loads(r.output)["files"]}


def test_wrong_form_then_right_form_accepts_the_same_file(ctx):
    path = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")], name="XLS.xlsx")
    make_return(ctx, "registration", "XKB", "2025", [task("XKB-01", area="Sai")], name="XKB.xlsx")
    code, files = collect(ctx.ws, "--period", "2025", "--form", "breakthrough")
    assert code == 1 and [i["code"] for i in files["XLS.xlsx"]["issues"]] == ["form-mismatch"]
    code, files = collect(ctx.ws, "--period", "2025", "--form", "breakthrough")  # nothing changed: not read again
    assert files["XLS.xlsx"]["status"] == "duplicate_rejected"
    shutil.copyfile(path, path.with_name("XLS ban sao.xlsx"))  # the same file twice in the inbox
    code, files = collect(ctx.ws, "--period", "2025")
    assert files["XLS.xlsx"]["status"] == "accepted"  # read again: the mismatch was the round's, not the file's
    assert files["XLS ban sao.xlsx"]["status"] == "duplicate"  # judged like its twin, after it
    assert files["XKB.xlsx"]["status"] == "rejected"  # now judged on its content: a wrong area
    assert [i["code"] for i in files["XKB.xlsx"]["issues"] if i["severity"] == "error"] == ["choice-error"]
    code, files = collect(ctx.ws, "--period", "2025")
    assert code == 1 and files["XKB.xlsx"]["status"] == "duplicate_rejected"  # its own error: waits for a fix
    assert files["XLS.xlsx"]["status"] == "duplicate"
    with Store(ctx.ws.db_path) as store:
        assert sorted(a["file_name"] for a in store.audit() if a["action"] == "reread") == ["XKB.xlsx", "XLS.xlsx"]
        assert [r["task_code"] for r in store.rows("registration", "2025")] == ["XLS-01"]


def test_a_return_moved_from_another_periods_inbox_is_accepted(ctx):
    path = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")], name="XLS.xlsx")
    wrong = ctx.ws.round_dir(parse_period("2025-H1"), "inbox")
    shutil.move(path, wrong / "XLS.xlsx")
    code, files = collect(ctx.ws, "--period", "2025-H1")
    assert code == 1 and files["XLS.xlsx"]["status"] == "rejected"
    first = {i["code"] for i in files["XLS.xlsx"]["issues"] if i["severity"] == "error"}
    assert first == {"form-period-mismatch"}
    shutil.move(wrong / "XLS.xlsx", path)
    code, files = collect(ctx.ws, "--period", "2025")
    assert code == 0 and files["XLS.xlsx"]["status"] == "accepted"


def test_a_return_dropped_in_an_earlier_round_s_inbox_is_accepted_once_moved(ctx):
    """A unit's 6-month report fetched into the year's inbox is refused there (and stored under the year's round,
    where the unit's registration stands accepted); moved to the 6-month inbox it is read again and accepted, not
    kept refused as "replaced by" the registration, nor said to be another round's file."""
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")], name="XLS.xlsx")
    assert collect(ctx.ws, "--period", "2025")[0] == 0
    path = make_return(ctx, "progress", "XLS", "2025-H1", [
        {"task_code": "XLS-01", "status": "Đang thực hiện – đúng tiến độ", "percent": 40}], name="XLS_6t.xlsx",
        received=date(2025, 7, 1))
    year = ctx.ws.round_dir(parse_period("2025"), "inbox") / path.name
    shutil.move(path, year)
    code, files = collect(ctx.ws, "--period", "2025")
    assert code == 1 and files["XLS_6t.xlsx"]["status"] == "rejected"
    shutil.move(year, path)
    code, files = collect(ctx.ws, "--period", "2025-H1")
    assert files["XLS_6t.xlsx"]["status"] in ("accepted", "warnings"), files["XLS_6t.xlsx"]["issues"]
    assert code == 0


def test_a_period_nothing_was_issued_for_is_refused_not_reported_on(ctx):
    """A mistyped period (no templates issued, no file received) would give a document counting every unit as
    not reported and every task as not done: status, merge, score and report refuse it (exit 2), and write
    nothing."""
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")], name="XLS.xlsx")
    assert collect(ctx.ws, "--period", "2025")[0] == 0
    for command in ("status", "merge", "score", "report"):
        r = CliRunner().invoke(cli, [command, str(ctx.ws.root), "--period", "2025-Q3"])
        assert r.exit_code == 2, (command, r.output)
        assert "Kỳ 2025-Q3 (quý 3 năm 2025) chưa phát hành biểu mẫu nào và chưa tiếp nhận tệp nào" in r.output
    assert not any(ctx.ws.round_dir(parse_period("2025-Q3"), "output").iterdir())
    r = CliRunner().invoke(cli, ["status", str(ctx.ws.root), "--period", "2025"])
    assert r.exit_code == 0 and "Đã nộp 1/" in r.output


def test_run_with_a_form_on_a_round_whose_first_files_it_collects(ctx):
    """Files made from copied templates (none issued through `templates`): run collects them, then goes on."""
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")], name="XLS.xlsx")
    r = CliRunner().invoke(cli, ["run", str(ctx.ws.root), "--period", "2025", "--form", "registration"])
    assert r.exit_code == 0, r.output
    assert "Tình hình nộp đăng ký nhiệm vụ: 1/19 đơn vị đã nộp" in " ".join(r.output.split())


def test_a_failure_while_storing_the_new_verdict_keeps_the_earlier_rejection(ctx):
    """Forgetting the earlier rejection and storing the new verdict are one transaction: a fault in between
    (here while the rows are written) leaves the file's earlier rejection in place, never a unit shown as not sent."""
    from toolkit.intake.collect import collect as do_collect
    from toolkit.intake.collect import sha256_file

    path = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")], name="XLS.xlsx")
    assert collect(ctx.ws, "--period", "2025", "--form", "breakthrough")[0] == 1

    def fault(stage, rel):
        if stage == "after-rows":
            raise RuntimeError("máy bị tắt giữa chừng")

    result = do_collect(open_round(ctx.ws, "2025"), _hook=fault)
    assert [(f.file, f.status, [i.code for i in f.issues]) for f in result.files] == [
        ("XLS.xlsx", "not_judged", ["file-not-judged"])]  # issue 27: the machine's fault, not the unit's
    with Store(ctx.ws.db_path) as store:
        earlier = store.submission_by_sha(sha256_file(path))
        assert (earlier["status"], store.error_codes(earlier["id"])) == ("rejected", {"form-mismatch"})
        assert not [a for a in store.audit() if a["action"] == "reread"]
    code, files = collect(ctx.ws, "--period", "2025")  # the next collect reads it again and accepts it
    assert code == 0 and files["XLS.xlsx"]["status"] == "accepted"


def test_a_return_accepted_in_another_round_is_sent_back_not_passed_over(ctx):
    """A unit sends, for the 6-month round, the registration the office accepted for the year (the same bytes): it
    was answered "received before, nothing to do", and the unit stayed "not reported" with nothing to tell it. It
    is refused for this round, nothing of it stored, with this round's template as its feedback; once the unit's
    report of the round is accepted, the stray copy is only noted and the round is no longer in error for it."""
    import openpyxl

    path = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")], name="XLS.xlsx")
    code, files = collect(ctx.ws, "--period", "2025")
    assert code == 0 and files["XLS.xlsx"]["status"] == "accepted"
    r = CliRunner().invoke(cli, ["templates", str(ctx.ws.root), "--form", "progress", "--period", "2025-H1",
                                 "--unit", "XLS"])
    assert r.exit_code == 0, r.output
    inbox = ctx.ws.round_dir(parse_period("2025-H1"), "inbox")
    shutil.copy2(path, inbox / "XLS bao cao 6 thang.xlsx")
    code, files = collect(ctx.ws, "--period", "2025-H1")
    stray = files["XLS bao cao 6 thang.xlsx"]
    assert code == 1 and (stray["status"], stray["unit"]) == ("rejected", "XLS")
    [issue] = stray["issues"]
    assert issue["code"] == "file-other-round" and issue["severity"] == "error"
    assert "kỳ 2025" in issue["message"] and "'XLS.xlsx'" in issue["message"] and "2025-H1" in issue["message"]
    sheet = openpyxl.load_workbook(stray["feedback"])["Lỗi cần sửa"]
    assert "XLS_" in sheet["A2"].value and "_2025-H1.xlsx" in sheet["A2"].value  # this round's template, to fill
    with Store(ctx.ws.db_path) as store:
        assert store.submissions(period="2025-H1") == []
        assert [s["file_name"] for s in store.submissions(period="2025")] == ["XLS.xlsx"]
    make_return(ctx, "progress", "XLS", "2025-H1", [{"task_code": "XLS-01", "status": "Đang thực hiện – đúng tiến độ",
                                                     "percent": 50}], name="XLS_6_thang.xlsx",
                received=date(2025, 7, 1))
    code, files = collect(ctx.ws, "--period", "2025-H1")
    assert files["XLS_6_thang.xlsx"]["status"] in ("accepted", "warnings"), files["XLS_6_thang.xlsx"]["issues"]
    stray = files["XLS bao cao 6 thang.xlsx"]
    assert code == 0 and stray["status"] == "duplicate"
    [issue] = stray["issues"]
    assert issue["code"] == "file-other-round-replaced" and "'XLS_6_thang.xlsx'" in issue["message"]


def test_a_file_of_no_known_unit_is_not_waited_for_round_after_round(ctx):
    """A workbook that is not a unit's return (a payroll a stranger mailed in) is refused once; collected again it
    was "rejected, waiting for the correction" and kept every later collect at exit 1, a correction nobody would
    send. It is now said as such (a warning: move it out of the inbox), with no feedback copy for anybody."""
    import openpyxl

    inbox = ctx.ws.round_dir(parse_period("2025"), "inbox")
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")], name="XLS.xlsx")
    wb = openpyxl.Workbook()
    wb.active.append(["Họ tên", "Lương tháng 6"])
    wb.active.append(["Nguyễn Văn A", 8_500_000])
    wb.save(inbox / "bang_luong.xlsx")
    code, files = collect(ctx.ws, "--period", "2025")
    assert code == 1 and (files["bang_luong.xlsx"]["status"], files["bang_luong.xlsx"]["unit"]) == ("rejected", "")
    code, files = collect(ctx.ws, "--period", "2025")
    stray = files["bang_luong.xlsx"]
    assert code == 0 and stray["status"] == "duplicate_rejected"
    assert stray["status_label"] == "Đã xét trước đó: không tiếp nhận, không rõ đơn vị"
    assert [(i["code"], i["severity"]) for i in stray["issues"]] == [("file-seen-rejected-unknown", "warning")]
    assert not list(ctx.ws.round_dir(parse_period("2025"), "feedback").glob("bang_luong*"))
