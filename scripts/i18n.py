"""Translations for Liftoff.

The source of truth is `locale/zh_Hans/parts/<area>.po`: one small catalogue per app (so
parallel work never edits the same file). `build` extracts every marked string from the code
and templates, fills the translations in from the parts and writes the committed
`locale/zh_Hans/LC_MESSAGES/django.po` and `django.mo` (committed so that `make run` needs no
gettext). `check` does the same and fails when any string has no Chinese translation.

    python scripts/i18n.py build     # regenerate django.po/.mo from code + parts
    python scripts/i18n.py check     # build, then fail on untranslated strings
    python scripts/i18n.py missing   # build, then print untranslated msgids as a .po stub
    python scripts/i18n.py compile   # just django.po -> django.mo
"""

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
LC = LOCALE / "zh_Hans" / "LC_MESSAGES"
PARTS = LOCALE / "zh_Hans" / "parts"
PO, MO, POT = LC / "django.po", LC / "django.mo", LOCALE / "django.pot"
IGNORE = [".venv", "tests", "scripts", "staticfiles", "media", "node_modules", "screenshots"]
HEADER = '''msgid ""
msgstr ""
"Project-Id-Version: Liftoff\\n"
"Language: zh_Hans\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"
'''


def have_gettext():
    return all(shutil.which(t) for t in ("xgettext", "msgmerge", "msgfmt", "msgcat", "msgattrib"))


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, cwd=ROOT, **kw)


def compile_mo():
    run(["msgfmt", "--check-format", "-o", str(MO), str(PO)])


def build():
    LC.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings"}
    args = [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--keep-pot", "--no-location",
            "--no-obsolete", "--no-wrap"]
    for pattern in IGNORE:
        args += ["--ignore", pattern]
    run(args, env=env, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp:
        header = Path(tmp) / "header.po"
        header.write_text(HEADER, encoding="utf-8")
        parts = sorted(str(p) for p in PARTS.glob("*.po"))
        compendium = Path(tmp) / "compendium.po"
        if parts:
            run(["msgcat", "--use-first", "--no-wrap", "-o", str(compendium), *parts])
        else:
            compendium.write_text(HEADER, encoding="utf-8")
        run(["msgmerge", "--quiet", "--no-fuzzy-matching", "--no-wrap", "--no-location", "-C", str(compendium),
             "-o", str(PO), str(header), str(POT)])
    POT.unlink(missing_ok=True)
    compile_mo()


def untranslated():
    out = subprocess.run(["msgattrib", "--untranslated", "--no-obsolete", "--no-wrap", str(PO)], check=True,
                         capture_output=True, text=True, cwd=ROOT).stdout
    fuzzy = subprocess.run(["msgattrib", "--only-fuzzy", "--no-obsolete", "--no-wrap", str(PO)], check=True,
                           capture_output=True, text=True, cwd=ROOT).stdout
    entries = [block for block in (out + "\n" + fuzzy).split("\n\n") if "msgid" in block and 'msgid ""\nmsgstr ""' not in block]
    return entries


def main(argv):
    command = argv[1] if len(argv) > 1 else "check"
    if not have_gettext():
        msg = "GNU gettext is not installed (apt-get install gettext)"
        if command == "check":
            print(f"i18n check skipped: {msg}. The committed django.mo is used as it is.")
            return 0
        print(msg, file=sys.stderr)
        return 2
    lock_path = Path(tempfile.gettempdir()) / "liftoff-i18n.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if command == "compile":
            compile_mo()
            return 0
        build()
        if command == "build":
            return 0
        missing = untranslated()
        if command == "missing":
            print("\n\n".join(missing))
            return 0
        if missing:
            print(f"{len(missing)} string(s) have no zh-hans translation. Add them to locale/zh_Hans/parts/<app>.po:")
            print("\n\n".join(missing[:40]))
            return 1
        print("i18n: every string has a zh-hans translation.")
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
