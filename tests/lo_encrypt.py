"""Save a workbook with a password through LibreOffice, headless, as a unit's clerk does in Calc (File > Save As >
Save with password). Run with a Python that has LibreOffice's UNO bridge (Debian: python3-uno; Windows/macOS: the
python inside LibreOffice's program folder): python lo_encrypt.py SOURCE TARGET FILTER PASSWORD.
`soffice --convert-to` cannot do this: LibreOffice 7.4 ignores a password given in its filter options."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException
from com.sun.star.lang import DisposedException


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main(soffice: str, pairs: list[tuple[str, str, str]], password: str) -> None:
    with tempfile.TemporaryDirectory() as profile:
        pipe = f"toolkit_test_{os.getpid()}"
        office = subprocess.Popen([soffice, "--headless", "--norestore", "--invisible",
                                   f"-env:UserInstallation={Path(profile).as_uri()}", f"--accept=pipe,name={pipe};urp;"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            local = uno.getComponentContext()
            resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
            for _ in range(300):
                try:
                    remote = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                    break
                except NoConnectException:  # not listening yet
                    time.sleep(0.1)
            else:
                raise SystemExit("LibreOffice did not answer on its pipe")
            desktop = remote.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", remote)
            for source, target, filter_name in pairs:
                doc = desktop.loadComponentFromURL(Path(source).resolve().as_uri(), "_blank", 0,
                                                   (prop("Hidden", True),))
                doc.storeToURL(Path(target).resolve().as_uri(), (prop("FilterName", filter_name),
                                                                  prop("Password", password)))
                doc.close(True)
            try:
                desktop.terminate()
            except DisposedException:  # the bridge may close before the call returns: the office is quitting
                pass
            office.wait(timeout=60)
        finally:
            if office.poll() is None:
                office.kill()


if __name__ == "__main__":
    soffice, password, *rest = sys.argv[1:]
    main(soffice, [tuple(rest[i:i + 3]) for i in range(0, len(rest), 3)], password)
