#!/usr/bin/env python3
"""Timing variants of one emitted call (a directory gen.sh wrote), for bench/harness/ab/build.sh:
  pro_nok.cu, pro_nov.cu, pro_noq.cu  (bits) the per-head prologue's K, V or Q blocks return at once: what each track adds
  body_lbM.cu                         the body with __launch_bounds__(threads, M) for each M given (min_blocks = M)
    variants.py DIR [M ...]"""
import os, re, sys
d, budgets = sys.argv[1], sys.argv[2:]
pro = open(os.path.join(d, "pro.cu")).read()
def edit(name, old, new):
    assert pro.count(old) == 1, (name, old)
    open(os.path.join(d, "pro_%s.cu" % name), "w").write(pro.replace(old, new))
if "if (qf_track == 0) {\n" in pro:
    edit("nok", "  if (qf_track == 0) {\n", "  if (qf_track == 0) {\n    if (n_N > 0) return;\n")
    edit("nov", "  else if (qf_track == 1) {\n", "  else if (qf_track == 1) {\n    if (n_N > 0) return;\n")
    edit("noq", "  else {\n    // %Q.q", "  else {\n    if (n_N > 0) return;\n    // %Q.q")
body = open(os.path.join(d, "body.cu")).read()
bounds = re.search(r"__launch_bounds__\((\d+)(, \d+)?\)", body)
for m in budgets:
    open(os.path.join(d, "body_lb%s.cu" % m), "w").write(body.replace(bounds.group(0), "__launch_bounds__(%s, %s)" % (bounds.group(1), m)))
print("variants in", d)
