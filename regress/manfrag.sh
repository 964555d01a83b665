#!/bin/sh
# The configuration fragments the manual shows must be the ones
# regress/mta/ tests against the real Exim and Postfix: every line of
# postfix-main.cf, and the filter-mtasts routers and transports of
# exim.conf, must appear verbatim in the rendered manual; and every
# line of regress/smtpd/relay.conf, the smtpd.conf regress/smtpd/smtpd.sh
# runs with OpenSMTPD 6.8 and 7.6, in the manual and in README.  The
# manual is every page of man/, rendered one after the other: the
# fragments live in the page of their MTA (filter-mtasts-postfix(7),
# filter-mtasts-exim(7), filter-mtasts-opensmtpd(7)).

top=$(cd "$(dirname "$0")/.." && pwd)
command -v mandoc >/dev/null 2>&1 ||
    { echo "skip - manual fragments: mandoc not installed"; exit 0; }
man=$(mktemp)
trap 'rm -f "$man"' EXIT
mandoc -Tascii "$top"/man/*.[1-9] | col -b >"$man"

python3 - "$man" "$top/regress/mta/postfix-main.cf" \
    "$top/regress/mta/exim.conf" "$top/Makefile" \
    "$top/regress/smtpd/relay.conf" "$top/README" <<'PY'
import re
import sys

man = set(l.strip() for l in open(sys.argv[1]))

def lines(path, blocks=None):
    out, cur, macro = [], None, False
    for l in open(path):
        s = l.strip()
        if not s or s.startswith("#"):
            continue
        if blocks is None:
            out.append(s)
            continue
        # the TLS reporting macro, whole: every line of it
        if s.startswith("FM_TLSRPT") or macro:
            out.append(s)
            macro = s.endswith("\\")
            continue
        if s.endswith(":") and not l[0].isspace():
            cur = s[:-1]
        elif s.startswith("begin "):
            cur = None
        if cur in blocks or s.startswith("MTASTS_QUERY"):
            out.append(s)
    return out

def check(what, want):
    missing = [l for l in want if l not in man]
    print(("ok - " if not missing else "not ok - ") + what)
    for l in missing:
        print("# missing from man/*: " + l)

check("manual: the Postfix main.cf lines are those tested",
      lines(sys.argv[2]))
# The OpenSMTPD example installs the table wrapper where smtpd looks:
# Debian's packages (6.8 and 7.6) in /usr/libexec/opensmtpd, which must
# be the Makefile's default, and a /usr/local source build of 7.x.
def installs():
    text = " ".join(open(sys.argv[1]).read().split())
    para = text[text.find("with the table wrapper in the PATH_LIBEXEC"):]
    para = para[:para.find("Create the user")]
    dflt = re.search(r"^SMTPD_LIBEXEC\?=\s*(\S+)", open(sys.argv[4]).read(),
                     re.M).group(1)
    dirs = set()
    for cmd in re.findall(r"# (make install(?: SMTPD_LIBEXEC=\S+)?)", para):
        dirs.add(cmd.split("=", 1)[1] if "=" in cmd else dflt)
    want = {"/usr/libexec/opensmtpd", "/usr/local/libexec/opensmtpd"}
    missing = ["make install into " + d for d in sorted(want - dirs)]
    if not re.search(r"7\.6[^.]*/usr/libexec/opensmtpd", para):
        missing.append("Debian's 7.6 and /usr/libexec/opensmtpd")
    return missing

missing = installs()
print(("ok - " if not missing else "not ok - ") +
      "manual: the OpenSMTPD example installs for Debian's 6.8 and 7.6 "
      "and for a source build")
for l in missing:
    print("# missing from the example: " + l)

check("manual: the smtpd.conf of the relay is the one tested",
      lines(sys.argv[5]))
readme = set(l.strip() for l in open(sys.argv[6]))
missing = [l for l in lines(sys.argv[5]) if l not in readme]
print(("ok - " if not missing else "not ok - ") +
      "README: the smtpd.conf of the relay is the one tested")
for l in missing:
    print("# missing from README: " + l)

check("manual: the Exim routers, transports and TLS reporting macro are "
      "those tested",
      lines(sys.argv[3], {"mtasts_lookup", "mtasts_enforce", "dane_enforce",
                          "remote_smtp_mtasts", "remote_smtp_dane"}))
PY
