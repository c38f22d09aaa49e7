"""`toolkit demo` after a plain `pip install` (no source folder, no make): the sample rounds travel inside the
package; a second run keeps the earlier demo folder (renamed, and said so) instead of deleting it."""

import shutil
import tomllib

from click.testing import CliRunner
from conftest import ROOT

from toolkit import demo
from toolkit.cli import cli


def test_demo_runs_from_the_packaged_samples_and_keeps_the_earlier_folder(tmp_path, monkeypatch):
    packaged = tmp_path / "site-packages" / "toolkit" / "resources" / "sample_workbooks"
    shutil.copytree(ROOT / "sample_workbooks", packaged)
    monkeypatch.setattr(demo, "SOURCE_SAMPLES", tmp_path / "no-checkout" / "sample_workbooks")
    monkeypatch.setattr(demo, "packaged_samples", lambda: packaged)
    monkeypatch.chdir(tmp_path)  # no sample_workbooks/ here
    earlier = tmp_path / "demo_workspace"
    earlier.mkdir()
    (earlier / "settings.yaml").write_text("demo: true\n", encoding="utf-8")
    (earlier / "ghi_chu_cua_toi.txt").write_text("kết quả lần trước", encoding="utf-8")

    result = CliRunner().invoke(cli, ["demo", "--no-pdf"], terminal_width=400)
    assert result.exit_code == 0, result.output
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("demo_workspace_cu_")]
    assert len(kept) == 1 and (kept[0] / "ghi_chu_cua_toi.txt").read_text(encoding="utf-8") == "kết quả lần trước"
    assert f"Thư mục chạy thử cũ được giữ lại, đổi tên thành {kept[0]}" in result.output
    assert (earlier / "rounds" / "2025-Y" / "output" / "xep_loai_2025-Y.xlsx").is_file()
    assert "[17] Lịch sử nhiệm vụ" in result.output


def test_a_folder_that_is_not_a_demo_is_refused_and_left_alone(tmp_path):
    own = tmp_path / "NhiemVu"
    own.mkdir()
    (own / "settings.yaml").write_text("office: {}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["demo", str(own), "--no-pdf"])
    assert result.exit_code == 2 and "không phải thư mục chạy thử" in result.output
    assert sorted(p.name for p in own.iterdir()) == ["settings.yaml"]


def test_the_wheel_and_sdist_carry_the_samples():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    build = project["tool"]["hatch"]["build"]["targets"]
    assert build["wheel"]["force-include"]["sample_workbooks"] == "toolkit/resources/sample_workbooks"
    assert "sample_workbooks" in build["sdist"]["include"]
    assert demo.packaged_samples().parts[-3:] == ("toolkit", "resources", "sample_workbooks")
