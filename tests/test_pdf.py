"""Issue 18 item 2: PDF on an office PC. LibreOffice where its installers put it (fake Program Files and
Applications trees here), a real file URL for its profile, the real conversion on this machine, Word through
COM (a stand-in for win32com here: Word does not run on Linux), and one clear line when there is neither."""

from __future__ import annotations

import shutil
import stat
import sys
import types
from pathlib import Path, PurePosixPath, PureWindowsPath

import docx
import pytest

from toolkit.outputs import pdf
from toolkit.outputs.pdf import find_soffice, profile_argument, to_pdf


def _exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def windows(monkeypatch, tmp_path):
    """A PC as Windows shows it to the toolkit: no soffice on PATH, Program Files trees under tmp_path."""
    monkeypatch.setattr(pdf, "PLATFORM", "win32")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("ProgramFiles", str(tmp_path / "Program Files"))
    monkeypatch.setenv("ProgramFiles(x86)", str(tmp_path / "Program Files (x86)"))
    monkeypatch.delenv("ProgramW6432", raising=False)
    return tmp_path


def test_libreoffice_found_where_windows_installers_put_it(windows):
    assert find_soffice() is None
    x86 = _exe(windows / "Program Files (x86)" / "LibreOffice" / "program" / "soffice.exe")
    assert find_soffice() == x86
    x64 = _exe(windows / "Program Files" / "LibreOffice" / "program" / "soffice.exe")
    assert find_soffice() == x64
    on_path = _exe(windows / "bin" / "soffice")
    import os

    os.environ["PATH"] = str(on_path.parent)
    assert find_soffice() == on_path
    portable = _exe(windows / "D" / "LibreOfficePortable" / "program" / "soffice.exe")
    assert find_soffice(str(windows / "D" / "LibreOfficePortable")) == portable  # the setting names its folder
    assert find_soffice(str(portable)) == portable
    assert find_soffice(str(windows / "nowhere")) == on_path  # a wrong setting: the usual places still count


def test_libreoffice_found_in_macos_applications(monkeypatch, tmp_path):
    monkeypatch.setattr(pdf, "PLATFORM", "darwin")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    assert find_soffice() is None
    app = _exe(tmp_path / "Applications" / "LibreOffice.app" / "Contents" / "MacOS" / "soffice")
    assert find_soffice() == app


def test_profile_url_is_a_real_file_url():
    windows = PureWindowsPath(r"C:\Users\Văn thư\AppData\Local\Temp\toolkit-lo-1")
    assert profile_argument(windows) == \
        "-env:UserInstallation=file:///C:/Users/V%C4%83n%20th%C6%B0/AppData/Local/Temp/toolkit-lo-1"
    assert profile_argument(PurePosixPath("/tmp/hồ sơ")) == "-env:UserInstallation=file:///tmp/h%E1%BB%93%20s%C6%A1"


def _docs(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        d = docx.Document()
        d.add_paragraph(f"Báo cáo số {i}: Hội đồng nhân dân tỉnh")
        d.save(folder / f"bao_cao_{i}.docx")
        paths.append(folder / f"bao_cao_{i}.docx")
    return paths


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice not installed")
def test_real_libreoffice_conversion_counts_outputs_and_names_the_engine(tmp_path):
    folder = tmp_path / "Văn bản đợt 6 tháng"
    paths = _docs(folder, 2)
    (folder / "hong.docx").write_bytes(b"PK\x03\x04 not a document")
    out = folder / "pdf"
    out.mkdir()
    (out / "hong.pdf").write_bytes(b"%PDF stale from an earlier run")
    done, message = to_pdf([*paths, folder / "hong.docx"], out)
    assert sorted(p.name for p in done) == ["bao_cao_0.pdf", "bao_cao_1.pdf"]
    assert all(p.read_bytes()[:4] == b"%PDF" for p in done)
    assert message.startswith("Đã chuyển 2/3 văn bản sang PDF bằng LibreOffice") and "1 văn bản không chuyển" in message


def test_without_any_engine_one_clear_line(windows):
    paths = _docs(windows / "van_ban", 1)
    done, message = to_pdf(paths, windows / "van_ban" / "pdf")
    assert done == [] and "\n" not in message
    assert message.startswith("Chưa chuyển sang PDF vì máy chưa có LibreOffice hoặc Microsoft Word")
    assert str(windows / "van_ban") in message and "cài LibreOffice" in message


class _FakeWord:
    """Stands in for Word.Application as win32com.client shows it; SaveAs2 writes a small PDF."""

    def __init__(self, calls: list, refuse: str = ""):
        self.calls, self.refuse = calls, refuse
        self.Documents = self

    def Open(self, path, **kw):  # COM names
        self.calls.append(("Open", path, kw))
        if self.refuse and path.endswith(self.refuse):
            raise RuntimeError("com_error: Word could not open the document")
        calls = self.calls

        class Doc:
            def SaveAs2(self, target, FileFormat):
                calls.append(("SaveAs2", target, FileFormat))
                Path(target).write_bytes(b"%PDF-1.7 word")

            def Close(self, SaveChanges):
                calls.append(("Close", SaveChanges))

        return Doc()

    def Quit(self):
        self.calls.append(("Quit",))


def _fake_win32com(monkeypatch, dispatch):
    client = types.SimpleNamespace(DispatchEx=dispatch)
    package = types.ModuleType("win32com")
    package.client = client
    monkeypatch.setitem(sys.modules, "win32com", package)
    monkeypatch.setitem(sys.modules, "win32com.client", client)


def test_word_converts_on_windows_without_libreoffice(windows, monkeypatch):
    """Windows only in reality (Word through pywin32's COM); here win32com.client is a stand-in."""
    calls: list = []
    _fake_win32com(monkeypatch, lambda prog_id: calls.append(("Dispatch", prog_id)) or _FakeWord(calls, "_1.docx"))
    paths = _docs(windows / "van_ban", 3)
    done, message = to_pdf(paths, windows / "van_ban" / "pdf")
    assert [p.name for p in done] == ["bao_cao_0.pdf", "bao_cao_2.pdf"]
    assert message.startswith("Đã chuyển 2/3 văn bản sang PDF bằng Microsoft Word")
    assert calls[0] == ("Dispatch", "Word.Application") and calls[-1] == ("Quit",)
    assert calls[1] == ("Open", str(paths[0].resolve()), {"ReadOnly": True, "AddToRecentFiles": False,
                                                           "Visible": False})
    assert ("SaveAs2", str((windows / "van_ban" / "pdf" / "bao_cao_0.pdf").resolve()), 17) in calls
    assert calls.count(("Close", 0)) == 2  # never saves the .docx


def test_word_is_preferred_on_windows_and_settings_choose(windows, monkeypatch):
    """Issue: with `engine: auto` an office PC with Word and LibreOffice converts with Word, its own program."""
    calls: list = []
    _fake_win32com(monkeypatch, lambda prog_id: _FakeWord(calls))
    _exe(windows / "Program Files" / "LibreOffice" / "program" / "soffice.exe")  # does nothing: converts nothing
    paths = _docs(windows / "van_ban", 1)
    assert "bằng Microsoft Word" in to_pdf(paths, windows / "pdf")[1] and calls[0][0] == "Open"
    calls.clear()
    assert "bằng LibreOffice" in to_pdf(paths, windows / "pdf", {"engine": "libreoffice"})[1] and calls == []
    assert "bằng Microsoft Word" in to_pdf(paths, windows / "pdf", {"engine": "word"})[1]


def test_without_word_auto_falls_back_to_libreoffice(windows, monkeypatch):
    def dispatch(prog_id):
        raise OSError("com_error: Invalid class string")

    _fake_win32com(monkeypatch, dispatch)
    _exe(windows / "Program Files" / "LibreOffice" / "program" / "soffice.exe")
    assert "bằng LibreOffice" in to_pdf(_docs(windows / "van_ban", 1), windows / "pdf")[1]


def test_engine_order_per_platform_and_setting():
    assert pdf.engine_order("auto", "win32") == ["Microsoft Word", "LibreOffice"]
    assert pdf.engine_order("auto", "linux") == pdf.engine_order("AUTO", "darwin") == ["LibreOffice"]
    assert pdf.engine_order("word", "win32") == ["Microsoft Word"] and pdf.engine_order("word", "linux") == []
    assert pdf.engine_order("libreoffice", "win32") == ["LibreOffice"]


def test_word_missing_means_no_engine(windows, monkeypatch):
    def dispatch(prog_id):
        raise OSError("com_error: Invalid class string")

    _fake_win32com(monkeypatch, dispatch)
    done, message = to_pdf(_docs(windows / "van_ban", 1), windows / "pdf")
    assert done == [] and message.startswith("Chưa chuyển sang PDF")
