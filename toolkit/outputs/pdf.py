"""Word documents to PDF with whatever the office PC has: LibreOffice, or Microsoft Word on Windows.

LibreOffice is looked for, in order: the ``pdf.soffice`` setting (the program or its folder), PATH, where its
installers put it — ``%ProgramFiles%\\LibreOffice\\program\\soffice.exe`` (and Program Files (x86)) on Windows,
``/Applications/LibreOffice.app`` on macOS. It runs with a profile of its own (``-env:UserInstallation=`` a
real file URL, made by ``Path.as_uri()``, so ``C:\\...`` paths work), on at most PDF_CHUNK files per call (one
call silently stops after ~250 files), and the PDFs written are counted.

On Windows, Microsoft Word converts through COM (pywin32, which xlwings installs there): it is what an office PC
has, so ``pdf.engine: auto`` tries Word first there and LibreOffice when Word is missing; elsewhere auto means
LibreOffice (:func:`engine_order`). The setting ``pdf.engine`` (auto | libreoffice | word) chooses. The Vietnamese
message names the engine that ran; with neither, the .docx stay as they are and the message says in one line how
to get PDFs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path, PurePath

PLATFORM = sys.platform  # tests set this to check the Windows and macOS look-ups
PDF_CHUNK = 200
LIBREOFFICE, WORD = "LibreOffice", "Microsoft Word"
NO_ENGINE = ("Chưa chuyển sang PDF vì máy chưa có LibreOffice hoặc Microsoft Word; các văn bản .docx vẫn ở {folder}. "
             "Để có PDF: cài LibreOffice (libreoffice.org, miễn phí) rồi chạy lại, hoặc mở tệp .docx bằng Word và "
             "chọn Lưu thành PDF.")


def find_soffice(configured: str | None = None) -> Path | None:
    """The LibreOffice program to run, or None."""
    for candidate in _soffice_candidates(configured):
        if candidate.is_file():
            return candidate
    return None


def _soffice_candidates(configured: str | None):
    if configured:
        path = Path(os.path.expandvars(os.path.expanduser(configured)))
        yield from (path, path / ("soffice.exe" if PLATFORM == "win32" else "soffice"),
                    path / "program" / "soffice.exe", path / "program" / "soffice")
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            yield Path(found)
    if PLATFORM == "win32":
        for var in ("ProgramFiles", "ProgramW6432", "ProgramFiles(x86)"):
            if os.environ.get(var):
                yield Path(os.environ[var]) / "LibreOffice" / "program" / "soffice.exe"
    elif PLATFORM == "darwin":
        for apps in (Path("/Applications"), Path.home() / "Applications"):
            yield apps / "LibreOffice.app" / "Contents" / "MacOS" / "soffice"


def profile_argument(profile: PurePath) -> str:
    """LibreOffice's option for a profile of its own; the value must be a file URL (file:///C:/... on Windows)."""
    return f"-env:UserInstallation={profile.as_uri()}"


def convert_with_libreoffice(soffice: Path, paths: list[Path], outdir: Path) -> list[Path]:
    done: list[Path] = []
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console window flashing on Windows
    with tempfile.TemporaryDirectory(prefix="toolkit-lo-") as profile:
        for start in range(0, len(paths), PDF_CHUNK):
            chunk = paths[start:start + PDF_CHUNK]
            targets = [outdir / (p.stem + ".pdf") for p in chunk]
            for t in targets:  # a PDF left by an earlier run must not be counted as converted now
                t.unlink(missing_ok=True)
            try:
                subprocess.run([str(soffice), "--headless", "--norestore", profile_argument(Path(profile).resolve()),
                                "--convert-to", "pdf", "--outdir", str(outdir), *map(str, chunk)],
                               capture_output=True, timeout=600, check=False, creationflags=flags)
            except (OSError, subprocess.TimeoutExpired):
                pass
            done.extend(t for t in targets if t.is_file() and t.stat().st_size > 0)
    return done


def convert_with_word(paths: list[Path], outdir: Path) -> list[Path] | None:
    """Windows only: convert through Word (COM). None when Word (or pywin32) is not there.

    Not run on Linux; tests there replace ``win32com.client`` with a stand-in that records the calls."""
    try:
        import win32com.client
    except ImportError:
        return None
    try:
        word = win32com.client.DispatchEx("Word.Application")
    except Exception:  # Word not installed or not registered (pywintypes.com_error)
        return None
    done: list[Path] = []
    try:
        word.Visible = False
        word.DisplayAlerts = 0  # wdAlertsNone
        for path in paths:
            target = outdir / (path.stem + ".pdf")
            target.unlink(missing_ok=True)
            try:
                doc = word.Documents.Open(str(Path(path).resolve()), ReadOnly=True, AddToRecentFiles=False,
                                          Visible=False)
                try:
                    doc.SaveAs2(str(target.resolve()), FileFormat=17)  # wdFormatPDF
                finally:
                    doc.Close(SaveChanges=0)  # wdDoNotSaveChanges
            except Exception:  # one document that Word refuses: counted as not converted
                continue
            if target.is_file():
                done.append(target)
    finally:
        word.Quit()
    return done


def engine_order(engine: str = "auto", platform: str | None = None) -> list[str]:
    """The converters to try, in order, for the ``pdf.engine`` setting on ``platform`` (default: this machine's).
    Word only exists for the toolkit on Windows; there ``auto`` prefers it, as the office's own program."""
    platform = platform or PLATFORM
    engine = (engine or "auto").lower()
    word = [WORD] if platform == "win32" else []
    if engine == "word":
        return word
    if engine == "libreoffice":
        return [LIBREOFFICE]
    return word + [LIBREOFFICE]


def to_pdf(paths: list[Path], outdir: Path, settings: dict | None = None) -> tuple[list[Path], str]:
    """Convert ``paths`` into ``outdir``; returns (PDFs written, one Vietnamese line naming the engine)."""
    settings = settings or {}
    paths = [Path(p) for p in paths]
    outdir = Path(outdir)
    folder = paths[0].parent if paths else outdir
    done: list[Path] | None = None
    used = ""
    for used in engine_order(str(settings.get("engine") or "auto")):
        if used == WORD:
            outdir.mkdir(parents=True, exist_ok=True)
            done = convert_with_word(paths, outdir)
        else:
            soffice = find_soffice(settings.get("soffice"))
            if soffice is not None:
                outdir.mkdir(parents=True, exist_ok=True)
                done = convert_with_libreoffice(soffice, paths, outdir)
        if done is not None:
            break
    if done is None:
        return [], NO_ENGINE.format(folder=folder)
    message = f"Đã chuyển {len(done)}/{len(paths)} văn bản sang PDF bằng {used} trong {outdir}."
    if len(done) < len(paths):
        message += f" {len(paths) - len(done)} văn bản không chuyển được: mở bằng Word để kiểm tra."
    return done, message
