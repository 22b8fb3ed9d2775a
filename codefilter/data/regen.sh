#!/bin/sh
# codefilter/data/regen.sh: regenerates codefilter/data/license_data.c from
# the SPDX License List (sindresorhus/spdx-license-list, CC0: one JSON per
# license with `licenseText`).
#
#   sh codefilter/data/regen.sh [SPDX_DIR]     (default ../shared/data/spdx-license-list)
#
# For each license in LICENSES below it writes the text normalised as the
# SPDX License List Matching Guidelines say (see normalize() and the C twin
# cf_normalize() in codefilter/license.c, which must stay identical), and for
# the licenses whose text carries an "how to apply" notice (GPL, LGPL, AGPL,
# Apache-2.0, MPL-2.0) the notice itself, cut out of the license text between
# two anchors, as a header template. Only derived, normalised word sequences
# are shipped: the binary builds its word-bigram sets from them at start-up.
set -eu
cd "$(dirname "$0")/../.."
SPDX=${1:-../shared/data/spdx-license-list}
PY=${PYTHON:-python3}
[ -d "$SPDX/licenses" ] || { echo "regen.sh: no $SPDX/licenses" >&2; exit 1; }
"$PY" - "$SPDX" codefilter/data/license_data.c <<'PYEOF'
import json, os, re, sys
spdx_dir, out_path = sys.argv[1], sys.argv[2]

# Every allow- and deny-list license of configs/codefilter.yaml, and the
# look-alikes a matcher must tell them apart from.
LICENSES = """
MIT MIT-0 Apache-2.0 Apache-1.1 BSD-2-Clause BSD-3-Clause BSD-3-Clause-Clear BSD-2-Clause-Patent
BSD-4-Clause ISC Zlib Unlicense CC0-1.0 BSL-1.0 0BSD PostgreSQL X11 NCSA UPL-1.0 WTFPL Python-2.0
CC-BY-4.0 CC-BY-3.0 Artistic-2.0 MIT-CMU HPND BlueOak-1.0.0 FSFULLR FSFUL FSFAP
GPL-1.0-only GPL-2.0-only GPL-3.0-only LGPL-2.0-only LGPL-2.1-only LGPL-3.0-only AGPL-3.0-only AGPL-1.0-only
MPL-1.0 MPL-1.1 MPL-2.0 EPL-1.0 EPL-2.0 CDDL-1.0 CDDL-1.1 EUPL-1.1 EUPL-1.2 OSL-3.0 CPL-1.0
CC-BY-SA-3.0 CC-BY-SA-4.0 CC-BY-NC-3.0 CC-BY-NC-4.0 CC-BY-NC-SA-3.0 CC-BY-NC-SA-4.0
CC-BY-NC-ND-4.0 CC-BY-ND-4.0 SSPL-1.0 BUSL-1.1 Elastic-2.0 PolyForm-Noncommercial-1.0.0
Artistic-1.0 Artistic-1.0-Perl GFDL-1.2-only GFDL-1.3-only
""".split()

# Header notices: (spdx id reported, source license, start anchor, end anchor, substitutions)
HEADERS = [
    ("GPL-2.0-or-later", "GPL-2.0-only", "This program is free software; you can redistribute", "02110-1301, USA.", []),
    ("GPL-3.0-or-later", "GPL-3.0-only", "This program is free software: you can redistribute", "<https://www.gnu.org/licenses/>.", []),
    ("LGPL-3.0-or-later", "GPL-3.0-only", "This program is free software: you can redistribute", "<https://www.gnu.org/licenses/>.",
     [("GNU General Public License", "GNU Lesser General Public License")]),
    ("LGPL-2.1-or-later", "LGPL-2.1-only", "This library is free software; you can redistribute", "02110-1301  USA", []),
    ("LGPL-2.0-or-later", "LGPL-2.0-only", "This library is free software; you can redistribute", "USA.", []),
    ("AGPL-3.0-or-later", "AGPL-3.0-only", "This program is free software: you can redistribute", "<http://www.gnu.org/licenses/>.", []),
    ("Apache-2.0", "Apache-2.0", "Licensed under the Apache License, Version 2.0", "limitations under the License.", []),
    ("MPL-2.0", "MPL-2.0", "This Source Code Form is subject to the terms", "MPL/2.0/.", []),
    # The -only form most GPL-2.0 code uses (Linux: "version 2 as published
    # by the Free Software Foundation"), derived from the notice above.
    ("GPL-2.0-only", "GPL-2.0-only", "This program is free software; you can redistribute", "more details.",
     [("General Public License as published by the Free Software Foundation; either version 2 of the License, or (at your option) any later version.",
       "General Public License version 2 as published by the Free Software Foundation.")]),
    # The FSF's address before 2005: most GPL-2/LGPL notices in old code
    # carry it, and without it such a notice scores 0.89 against the above.
    ("GPL-2.0-or-later", "GPL-2.0-only", "This program is free software; you can redistribute", "02110-1301, USA.",
     [("51 Franklin Street, Fifth Floor, Boston, MA 02110-1301, USA.", "59 Temple Place, Suite 330, Boston, MA 02111-1307 USA")]),
    ("LGPL-2.1-or-later", "LGPL-2.1-only", "This library is free software; you can redistribute", "02110-1301  USA",
     [("51 Franklin Street, Fifth Floor, Boston, MA  02110-1301  USA", "59 Temple Place, Suite 330, Boston, MA 02111-1307 USA")]),
    ("LGPL-2.0-or-later", "LGPL-2.0-only", "This library is free software; you can redistribute", "USA.",
     [("51 Franklin St, Fifth Floor, Boston, MA  02110-1301, USA.", "59 Temple Place - Suite 330, Boston, MA 02111-1307, USA.")]),
]

# Texts that SPDX ships joined to another license: the part before the
# anchor is a template of its own (LGPL-3.0's COPYING.LESSER comes without
# the GPL-3.0 text that the SPDX entry appends). (id, source, end anchor)
PARTS = [
    ("LGPL-3.0-only", "LGPL-3.0-only", "GNU GENERAL PUBLIC LICENSE\nVersion 3"),
]

# The SPDX templates mark replaceable text (<<var>>), which this JSON list
# does not carry; the common real-world fill-ins get a variant template of
# their own. ISC's "ISC" is "the author" in most repositories, and without
# the variant such a text is closer to 0BSD than to ISC.
VARIANTS = [
    ("ISC", "ISC", [("ISC DISCLAIMS", "THE AUTHOR DISCLAIMS"), ("SHALL ISC BE", "SHALL THE AUTHOR BE")]),
]

# SPDX "equivalent words" (varietal spellings), mapped to one spelling.
VARIETAL = {
    "licence": "license", "licences": "licenses", "licenced": "licensed", "licencing": "licensing",
    "acknowledgment": "acknowledgement", "acknowledgments": "acknowledgements",
    "analog": "analogue", "authorised": "authorized", "authorisation": "authorization",
    "behaviour": "behavior", "centre": "center", "favour": "favor", "fulfil": "fulfill",
    "judgement": "judgment", "offence": "offense", "defence": "defense", "organisation": "organization",
    "practise": "practice", "recognise": "recognize", "recognised": "recognized", "utilise": "utilize",
    "whilst": "while", "wilful": "willful", "non": "non", "https": "http", "sub": "sub",
    "percent": "percent", "copyright": "copyright", "colour": "color", "modelling": "modeling",
}

COMMENT = re.compile(rb"^[ \t/*#;%!>|-]+")
# A copyright line, not a sentence that starts with the word (a reflowed
# "...provided that the above\ncopyright notice and this permission...").
COPYRIGHT_NOT = (b"notice|notices|holder|holders|owner|owners|and|or|law|laws|license|licenses|statement|"
                 b"statements|protection|act|office|infringement|claim|claims|interest|to|in|of|on|is|are")
COPYRIGHT = re.compile(rb"^(copyright\b(?![ \t]*(" + COPYRIGHT_NOT + rb")\b)|\(c\)[ \t]*[0-9]|\xc2\xa9|all rights reserved)")
BULLET = re.compile(rb"^(\(?([0-9]{1,3}(\.[0-9]{1,3})*|[a-z]|[ivx]{1,4})[.)])[ \t]+")
WORD = re.compile(rb"[a-z0-9]+")

def normalize(text):
    words = []
    for line in text.encode("utf-8").split(b"\n"):
        s = COMMENT.sub(b"", line.lower().strip())
        if COPYRIGHT.match(s):
            continue
        s = BULLET.sub(b"", s)
        for w in WORD.findall(s):
            w = w.decode()
            words.append(VARIETAL.get(w, w))
    return " ".join(words)

def load(lid):
    with open(os.path.join(spdx_dir, "licenses", lid + ".json"), encoding="utf-8") as f:
        return json.load(f)["licenseText"]

entries = []
for lid in LICENSES:
    entries.append((lid, "CF_TEMPLATE_TEXT", normalize(load(lid))))
for pid, src, anchor in PARTS:
    t = load(src)
    j = t.find(anchor)
    if j <= 0:
        sys.exit("regen.sh: part anchor not found for %s" % pid)
    entries.append((pid, "CF_TEMPLATE_TEXT", normalize(t[:j])))
for vid, src, subs in VARIANTS:
    t = load(src)
    for x, y in subs:
        if x not in t:
            sys.exit("regen.sh: variant text not found for %s: %s" % (vid, x))
        t = t.replace(x, y)
    entries.append((vid, "CF_TEMPLATE_TEXT", normalize(t)))
for hid, src, a, b, subs in HEADERS:
    t = load(src)
    i = t.find(a)
    j = t.find(b, i)
    if i < 0 or j < 0:
        sys.exit("regen.sh: header anchors not found for %s" % hid)
    h = t[i:j + len(b)]
    for x, y in subs:
        if x not in h:
            sys.exit("regen.sh: header text not found for %s: %s" % (hid, x))
        h = h.replace(x, y)
    entries.append((hid, "CF_TEMPLATE_HEADER", normalize(h)))

with open(out_path + ".tmp", "w") as f:
    f.write("/*\n * license_data.c: GENERATED by codefilter/data/regen.sh from the SPDX License\n"
            " * List (CC0). Do not edit. Normalised word sequences of license texts and\n"
            " * of their header notices; codefilter/license.c builds bigram sets from them.\n */\n")
    f.write('#include "codefilter/license_data.h"\n\nconst cf_license_template cf_license_templates[] = {\n')
    for lid, kind, text in entries:
        f.write('    {"%s", %s,\n' % (lid, kind))
        # split long literals for readability; the compiler concatenates them
        for k in range(0, len(text), 100):
            f.write('     "%s"\n' % text[k:k + 100])
        f.write("    },\n")
    f.write("};\nconst unsigned cf_license_templates_len = %d;\n" % len(entries))
os.replace(out_path + ".tmp", out_path)
print("regen.sh: %d templates -> %s" % (len(entries), out_path))
PYEOF
