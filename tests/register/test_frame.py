"""The round frame as the stages read it: built from one tuple a row and one small tuple a register task, it is the
table pandas makes of the same records as dicts (columns in the order the fields first appear, NaN where a record
lacks a field), and it is built without holding a dict a row."""

from __future__ import annotations

import math
import sys
import tracemalloc
from datetime import date

from conftest import make_return, task

from toolkit.context import load_context
from toolkit.intake.collect import collect
from toolkit.register.frame import TASK_FIELDS, round_frame, task_index
from toolkit.round import open_round


def _progress(code: str, status: str, **kw) -> dict:
    return {"task_code": code, "status": status, "percent": kw.pop("percent", 50), "results": kw.pop(
        "results", f"Đã triển khai {code}"), **kw}


def _round(ws, tasks: dict[str, list[dict]], reports: dict[str, list[dict]]):
    ctx = load_context(ws)
    for unit, rows in tasks.items():
        make_return(ctx, "registration", unit, "2025", rows)
    collect(open_round(ctx, "2025"))
    for unit, rows in reports.items():
        make_return(ctx, "progress", unit, "2025-H1", rows, received=date(2025, 7, 5))
    got = collect(open_round(ctx, "2025-H1"))
    assert got.count("rejected") == 0, [(f.file, [i.message for i in f.issues]) for f in got.files]
    return ctx


def test_the_frame_is_what_pandas_reads_from_the_rows_as_records(ws):
    ctx = _round(ws, {"XLS": [task("XLS-01", title="Nhựa hoá 5 km đường xã"), task("XLS-02")],
                      "XCP": [task("XCP-01"), task("XCP-02")]},
                 {"XLS": [_progress("XLS-01", "Hoàn thành", percent=100, completed_on=date(2025, 5, 2),
                                    title="Tên đơn vị tự sửa"),
                          _progress("XLS-02", "Chậm tiến độ", delay_cause="Thiếu nguồn lực (kinh phí, nhân lực)")]})
    store = ctx.store
    store.set_confirmation("2025", "XCP", "XCP-02", "refused", "Không phù hợp")
    rnd = open_round(ctx, "2025-H1")
    df = round_frame(rnd, rnd.store, rnd.form)
    form_cols = [c.name for c in rnd.form.main.columns]
    added = [k for k in TASK_FIELDS if k not in form_cols]
    assert list(df.columns[:len(form_cols) + 8]) == form_cols + ["_unit", "_unit_name", "_parent_unit", "_parent_name",
                                                                  "_file", "_sha256", "_sheet", "_row"]
    assert list(df.columns[len(form_cols) + 8:]) == added + [
        "_register", "_dropped", "_adjusted", "_pending", "_reported",  # a task not reported on has "_reported"
        "_state", "_judged", "_on_track", "_late", "_completed_on", "_date_note", "_elapsed", "_timeline",
        "_attainment"]
    by = {r["task_code"]: r for r in df.to_dict("records")}
    assert list(by) == ["XLS-01", "XLS-02", "XCP-01"]  # XCP sent no report; its other task was refused
    one, two, three = by["XLS-01"], by["XLS-02"], by["XCP-01"]
    assert one["title"] == "Nhựa hoá 5 km đường xã"  # the register wins over what the unit typed
    assert one["deadline"] == date(2025, 12, 15) and type(one["deadline"]) is date
    assert one["completed_on"] == date(2025, 5, 2) and one["_state"] == "done_on_time"
    assert math.isnan(one["_reported"]) and three["_reported"] is False and three["_file"] == ""
    assert math.isnan(three["_row"]) and one["_row"] == float(rnd.form.main.first_data_row)
    assert (one["_register"], one["_dropped"], three["_register"], three["_state"]) == ("2025", False, "2025",
                                                                                         "not_reported")
    assert two["delay_cause"] == "Thiếu nguồn lực (kinh phí, nhân lực)" and two["_state"] == "behind"
    assert one["kind"] is two["kind"] is three["kind"] and one["deadline"] is two["deadline"]  # one object each value
    assert three["deadline"] == date(2025, 12, 15) and three["area"] == "Xây dựng Đảng"
    assert one["_unit_name"] == ctx.registry.units["XLS"].name and three["_unit"] == "XCP"
    assert str(df["_row"].dtype) == "float64" and str(df["_reported"].dtype) == "object"


def test_a_round_where_every_task_was_reported_on_has_no_reported_column(ws):
    ctx = _round(ws, {"XLS": [task("XLS-01"), task("XLS-02")]},
                 {"XLS": [_progress("XLS-01", "Đang thực hiện – đúng tiến độ"), _progress("XLS-02", "Chưa triển khai")]})
    rnd = open_round(ctx, "2025-H1")
    df = round_frame(rnd, rnd.store, rnd.form)
    assert list(df["task_code"]) == ["XLS-01", "XLS-02"] and "_reported" not in df  # as pandas reads the records
    assert list(df.columns[-10:]) == ["_pending", "_state", "_judged", "_on_track", "_late", "_completed_on",
                                      "_date_note", "_elapsed", "_timeline", "_attainment"]


def test_the_frame_holds_no_dict_a_row_while_it_is_built(ws):
    """What building the frame holds beyond the frame itself stays below one dict a row (the earlier build held a
    dict a row and a dict a register task: 1.96 kB a row here, against 1.09 kB now; a dict of the frame's fields is
    1.58 kB)."""
    n = 600
    ctx = _round(ws, {"XLS": [task(f"XLS-{i:03d}") for i in range(n)]},
                 {"XLS": [_progress(f"XLS-{i:03d}", "Đang thực hiện – đúng tiến độ", results=f"Kết quả {i} " * 4)
                          for i in range(n)]})
    rnd = open_round(ctx, "2025-H1")
    assert len(task_index(rnd.store, rnd.register_keys)) == n
    rnd.store.register("2025")  # (the store's own kept read of the register, if any stage made it: not counted)
    tracemalloc.start()
    try:
        df = round_frame(rnd, rnd.store, rnd.form)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(df) == n
    a_dict = sys.getsizeof({k: None for k in df.columns})
    assert (peak - current) / n < a_dict, ((peak - current) / n, a_dict)


def test_the_cascade_of_two_registers_is_taken_after_the_later_register_wins(ws):
    """Merge's cascade sheet reads only the tasks that cascade or are cascaded; with a term register beside the year's,
    a task's later copy wins first (the year's copy cascades TU-01, the term's does not: no cascade)."""
    ctx = _round(ws, {"XLS": [task("XLS-01")]}, {"XLS": [_progress("XLS-01", "Đang thực hiện – đúng tiến độ")]})
    store = ctx.store
    cols = store.columns("tasks")
    base = dict(zip(cols, store._x("SELECT * FROM tasks WHERE register_key='2025'").table()[1][0]))

    def put(key, unit, code, parent):
        row = dict(base, register_key=key, unit_code=unit, task_code=code, parent_code=parent, title=f"{key}:{code}")
        store._x(f"INSERT INTO tasks ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", [row[c] for c in cols])

    with store.transaction():
        for args in [("2025", "TU", "TU-01", None), ("2025", "XLS", "XLS-02", "TU-01"),
                     ("2021-2025", "XLS", "XLS-02", None), ("2025", "XMC", "XMC-03", None),
                     ("2021-2025", "XMC", "XMC-03", "TU-01"), ("2025", "XMC", "XMC-05", "TU-01")]:
            put(*args)
    parent = TASK_FIELDS.index("parent_code")
    for keys in (["2025", "2021-2025"], ["2021-2025", "2025"], ["2025"]):
        every = task_index(store, keys)
        heads = {t[parent] for t in every.values() if t[parent]}
        expected = [(k, t) for k, t in every.items() if t[parent] or k[1] in heads]
        assert list(task_index(store, keys, only="cascade").items()) == expected, keys
    assert [k for k in task_index(store, ["2025", "2021-2025"], only="cascade")] == [
        ("TU", "TU-01"), ("XMC", "XMC-03"), ("XMC", "XMC-05")]


def test_rows_gathered_a_block_at_a_time_make_the_frame_from_records_makes(monkeypatch):
    """`Records` holds at most one block of rows as tuples, and gives exactly the frame `DataFrame.from_records`
    gives for the same rows (same dtypes, values, column and row index): every mix of the values a round's columns
    hold, including a column of one kind only and of None only; with pandas' own converters and without them."""
    import itertools
    import random

    import numpy as np
    import pandas as pd

    from toolkit.register import frame as F

    kinds = [None, np.nan, 3, 2.5, -0.0, "Hoàn thành", "", date(2026, 6, 30), True, False, 2**70]
    columns = [f"c{i}" for i, _ in enumerate(itertools.combinations(range(len(kinds)), 2))]
    columns += ["one_str", "one_int", "one_float", "none", "last"]
    rng = random.Random(3)
    rows = []
    for r in range(1000):
        row = [kinds[rng.choice(pair)] for pair in itertools.combinations(range(len(kinds)), 2)]
        row += [f"Kết quả {r}", r, r / 3, None, "x" if r == 999 else None]
        rows.append(tuple(row))
    expected = pd.DataFrame.from_records(rows, columns=columns, exclude=["none"])

    for converters, block in ((True, 64), (True, 4096), (False, 64)):
        if not converters:
            monkeypatch.setattr(F, "to_object_array_tuples", None)
            monkeypatch.setattr(F, "convert_object_array", None)
            monkeypatch.setattr(F, "_FAST", [])  # asked again: pandas' converters are gone
        monkeypatch.setattr(F.Records, "BLOCK", block)
        records = F.Records()
        assert records.fast is converters
        for row in rows:
            records.append(row)
            if converters:
                assert len(records.rows) < block  # no tuple a row kept beyond its block
        assert len(records) == 1000
        got = records.frame(columns, ["none"])
        pd.testing.assert_frame_equal(got, expected, check_exact=True, check_column_type=True,
                                      check_index_type=True)
        assert [got[c].dtype for c in got] == [expected[c].dtype for c in expected]
        assert got._mgr.nblocks == expected._mgr.nblocks  # consolidated as from_records' are
        for blk in got._mgr.blocks if converters else ():  # no column is a view of the gathered rows (which would
            values = getattr(blk.values, "_ndarray", blk.values)  # keep them all, and the numbers they held, alive)
            assert values.base is None or values.base.size <= values.size
    assert F.Records().frame([], []).shape == (0, 0)


def test_tasks_that_give_the_same_values_share_a_verdict_that_is_the_one_judge_gives_each():
    """_judge judges a task once for each distinct set of the values a verdict depends on; a finished task without
    its completion date is judged on its own (its date is read from its result text). Every row's verdict is the
    one judge() gives that row, over random rows drawn from few values (and keys that are equal but not alike:
    1 and True, a register "1" and 1)."""
    import random

    import pandas as pd

    from toolkit.definitions.judge import judge
    from toolkit.register import frame as F

    rng = random.Random(11)
    statuses = ["Hoàn thành", "Đang thực hiện", "Chưa triển khai", "Chậm tiến độ", "Không thực hiện được", None]
    meanings = {"Hoàn thành": "done", "Đang thực hiện": "on_schedule", "Chưa triển khai": "not_started",
                "Chậm tiến độ": "behind", "Không thực hiện được": "not_done"}
    days = [None, date(2025, 3, 31), date(2025, 6, 30), date(2025, 7, 1), date(2025, 12, 31)]
    texts = [None, "Đã xong ngày 15/5", "Hoàn thành 02/06/2025", "Đang làm", "ngày 20/7"]
    n = 3000
    df = pd.DataFrame({
        "status": [rng.choice(statuses) for _ in range(n)], "deadline": [rng.choice(days) for _ in range(n)],
        "completed_on": [rng.choice(days[:4]) for _ in range(n)], "start_date": [rng.choice(days[:3]) for _ in range(n)],
        "results": [rng.choice(texts) for _ in range(n)], "_dropped": [rng.choice([False, True, 0, 1]) for _ in range(n)],
        "_register": [rng.choice(["2025", "2021-2025", 1, "1", None]) for _ in range(n)],
        "_reported": [rng.choice([True, True, False]) for _ in range(n)]})
    as_of = date(2025, 6, 30)
    got = F._judge(df.copy(), as_of, 2025, 0.3, meaning=meanings.get)
    for i, row in enumerate(df.itertuples(index=False)):
        start = F._register_start(row._6) or date(2025, 1, 1)
        want = judge(meanings.get(row.status), row.deadline, row.completed_on, as_of, start_date=row.start_date,
                     results=row.results, dropped=bool(row._5), reported=bool(row._7), span_start=start,
                     not_started_share=0.3)
        assert (got["_state"][i], got["_completed_on"][i], got["_date_note"][i], got["_timeline"][i]) == (
            want.state, want.completed_on, want.note, want.timeline), (i, row)
        assert (got["_judged"][i], got["_on_track"][i], got["_late"][i]) == (want.judged, want.on_track, want.late)
    assert got["_date_note"].str.contains("theo nội dung báo cáo").any()  # dates read from the texts: each its own


def test_the_states_moved_since_the_last_round_in_one_sentence():
    """"Trong kỳ có 18 nhiệm vụ được hoàn thành trong kỳ" said the round twice in one sentence."""
    import pandas as pd

    from toolkit.register.history import _moved_states

    key = {"_unit": ["A", "A", "B"], "task_code": ["1", "2", "1"]}
    before = pd.DataFrame({**key, "_state": ["in_progress", "in_progress", "in_progress"]})
    now = pd.DataFrame({**key, "_state": ["done_on_time", "done_late", "behind"]})
    assert _moved_states(before, now) == ("Trong kỳ có 2 nhiệm vụ được hoàn thành, 1 nhiệm vụ từ đúng tiến độ chuyển "
                                          "sang chậm, quá hạn.")
