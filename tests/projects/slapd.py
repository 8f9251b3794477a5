"""A real OpenLDAP server for the directory sign-in tests: Debian's slapd on a free port.

Started once per test session with a throw-away config and database under a temporary folder,
loaded with people and groups over LDAP (so the memberOf overlay fills `memberOf` as it would on
a real server), stopped at the end. Without slapd installed the tests that need it are skipped,
saying how to get it (`apt-get install -y slapd ldap-utils`; `.ci/run` installs it).
"""

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SUFFIX = "dc=liftoff,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PW = "root-secret-for-tests"
PEOPLE = f"ou=people,{SUFFIX}"
GROUP_DN = f"cn=liftoff-users,ou=groups,{SUFFIX}"
PASSWORD = "directory-pass-2026"
SLAPD = shutil.which("slapd") or ("/usr/sbin/slapd" if Path("/usr/sbin/slapd").exists() else None)
LDAPADD = shutil.which("ldapadd")
MISSING = None if SLAPD and LDAPADD else (
    "OpenLDAP's slapd/ldapadd are not installed: apt-get install -y slapd ldap-utils (.ci/run does)")

CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{rootdn}"
rootpw {rootpw}
directory {dir}/db
overlay memberof
"""

PERSON = """\
dn: uid={uid},{people}
objectClass: inetOrgPerson
uid: {uid}
cn: {given} {sn}
givenName: {given}
sn: {sn}
mail: {uid}@bank.example
departmentNumber: {dept}
userPassword: {password}

"""

# (uid, given name, family name, department, in the allowed group)
USERS = [("wangjg", "建国", "王", "Retail Banking", True), ("lina", "Na", "Li", "Operations", True),
         ("outsider", "Olga", "Out", "Audit", False)]


def _ldif():
    out = [f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Liftoff test bank\ndc: liftoff\n\n",
           f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n",
           f"dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n\n"]
    for uid, given, sn, dept, _in_group in USERS:
        out.append(PERSON.format(uid=uid, people=PEOPLE, given=given, sn=sn, dept=dept, password=PASSWORD))
    members = "".join(f"member: uid={u[0]},{PEOPLE}\n" for u in USERS if u[4])
    out.append(f"dn: {GROUP_DN}\nobjectClass: groupOfNames\ncn: liftoff-users\n{members}\n")
    return "".join(out)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Slapd:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="liftoff-slapd-"))
        (self.dir / "db").mkdir()
        self.port = _free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.proc = None

    def start(self):
        """Start on a free port; another process may take the port first (pytest -n), so try again."""
        for attempt in range(5):
            try:
                return self._start()
            except RuntimeError:
                if attempt == 4:
                    raise
                self.port = _free_port()
                self.url = f"ldap://127.0.0.1:{self.port}"

    def _start(self):
        conf = self.dir / "slapd.conf"
        conf.write_text(CONF.format(dir=self.dir, suffix=SUFFIX, rootdn=ROOT_DN, rootpw=ROOT_PW))
        self.proc = subprocess.Popen([SLAPD, "-f", str(conf), "-h", self.url + "/", "-d", "0"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("slapd did not start: " + self.proc.stderr.read().decode(errors="replace"))
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    break
            time.sleep(0.05)
        else:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("slapd did not listen within 10 s")
        ldif = self.dir / "seed.ldif"
        ldif.write_text(_ldif(), encoding="utf-8")
        subprocess.run([LDAPADD, "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PW, "-f", str(ldif)],
                       check=True, capture_output=True)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
