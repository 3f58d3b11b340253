#!/usr/bin/env python3
"""Prototype (timing harness only): joins an emitted per-head prologue (pro.cu) and body (body.cu), as GenCall
writes them, into one kernel, qf_fused. Each block takes a ticket (an atomic counter) when it starts: the first
PRO_BLOCKS tickets run a prologue block, the others a body block, which first waits until every prologue block
has released its writes. A block that holds a ticket is running, so the wait cannot deadlock whatever order the
hardware starts blocks in. The last block to finish resets the counters for the next call.
    fuse.py OUT   (OUT holds body.cu, pro.cu and call.inc; writes OUT/fused.cu)"""
import re, sys, os
out = sys.argv[1]
body = open(os.path.join(out, "body.cu")).read()
pro = open(os.path.join(out, "pro.cu")).read()
inc = open(os.path.join(out, "call.inc")).read()
def const(name):
    return int(re.search(r"\b%s = (\d+)" % name, inc).group(1))
grid = [int(x) for x in re.search(r"GRID\[3\] = \{(\d+), (\d+), (\d+)\}", inc).groups()]
pblocks, pthreads, bthreads = const("PRO_BLOCKS"), const("PRO_THREADS"), const("BODY_THREADS")
threads = max(pthreads, bthreads)

def split_kernel(src, entry):
    m = re.search(r'extern "C" __global__ void (__launch_bounds__\(([^)]*)\) )?%s\(([^)]*)\) \{' % entry, src)
    return src[:m.start()], m.group(2), m.group(3), src[m.end():]

bpre, bbounds, bparams, bbody = split_kernel(body, "qf_flash_attention")
ppre, _, pparams, pbody = split_kernel(pro, "qf_prologue")
# the body's blocks per SM, so that its registers stay where they were
minblocks = ", " + bbounds.split(",")[1].strip() if bbounds and "," in bbounds else ""
bbody = bbody.replace("(int)blockIdx.x", "qf_bx").replace("(int)blockIdx.y", "qf_by").replace("(int)blockIdx.z", "qf_bz")
assert "blockIdx" not in bbody and "gridDim" not in bbody
if bthreads < threads:   # the block's extra threads leave at once; the body's barriers count only its own
    bbody = bbody.replace("__syncthreads()", 'asm volatile("bar.sync 1, %d;" ::: "memory")' % bthreads)
pbody = pbody.replace("(int)blockIdx.x", "qf_bx")
assert "blockIdx" not in pbody
prodefs = ppre[ppre.index("#define QF_THREADS"):]
def names(params):
    return [p.strip().split()[-1].lstrip("*") for p in params.split(",")]
pn, bn = names(pparams), names(bparams)
src = bpre + prodefs
src += "__device__ __forceinline__ void qf_pro_block(%s, int qf_bx) {%s\n" % (pparams, pbody)
src += "__device__ __forceinline__ void qf_body_block(%s, int qf_bx, int qf_by, int qf_bz) {%s\n" % (bparams, bbody)
fparams = ", ".join(["%s" % p.strip() for p in pparams.split(",")] + [re.sub(r"(\w+)$", r"bd_\1", p.strip()) for p in bparams.split(",")])
# FUSE_WAIT (timing experiments): acquire (poll with ld.acquire), relaxed (poll with ld.relaxed, then one fence),
# none (no wait: wrong results, the lower bound); FUSE_SLEEP: ns between polls; counters 128 bytes apart
wait = os.environ.get("FUSE_WAIT", "relaxed"); sleep = int(os.environ.get("FUSE_SLEEP", "100"))
poll = {"acquire": 'while (qf_ld_acquire(&qf_ctr[32]) < %(pblocks)du) __nanosleep(%(sleep)d);',
        "relaxed": 'while (qf_ld_relaxed(&qf_ctr[32]) < %(pblocks)du) __nanosleep(%(sleep)d); __threadfence();',
        "none": ''}[wait]
# FUSE_STAMP=1: each block writes %globaltimer at its start, after its wait and at its end, and its SM, at
# qf_ctr + 1024 bytes, 4 words a ticket (read back by call_fused.cu)
st = os.environ.get("FUSE_STAMP") == "1"
# FUSE_ROLE: ticket (an atomic counter: the first PRO_BLOCKS blocks to start run the prologue), last (blockIdx.x:
# the prologue on the first PRO_BLOCKS blocks, the body after), first (the body on the first blocks)
nb = grid[0] * grid[1] * grid[2]
role = {"ticket": "atomicAdd(&qf_ctr[0], 1u)", "last": "blockIdx.x",
        "first": "(blockIdx.x < %d ? blockIdx.x + %d : blockIdx.x - %d)" % (nb, pblocks, nb)}[os.environ.get("FUSE_ROLE", "ticket")]
gt = 'unsigned long long qf_gt; asm volatile("mov.u64 %%0, %%%%globaltimer;" : "=l"(qf_gt));'
stamp0 = ('unsigned long long qf_t0; asm volatile("mov.u64 %%0, %%%%globaltimer;" : "=l"(qf_t0));') if st else ""
stampw = ('if (threadIdx.x == 0) { ' + gt + ' ((unsigned long long*)(qf_ctr + 256))[4 * t + 1] = qf_gt; }') if st else ""
stamp1 = ('__syncthreads(); if (threadIdx.x == 0) { ' + gt + ' unsigned qf_sm; asm("mov.u32 %%0, %%%%smid;" : "=r"(qf_sm)); unsigned long long* qf_st = (unsigned long long*)(qf_ctr + 256) + 4 * qf_ticket; qf_st[0] = qf_t0; qf_st[2] = qf_gt; qf_st[3] = qf_sm; }') if st else ""
src += """
__device__ __forceinline__ unsigned qf_ld_acquire(const unsigned* p) { unsigned v; asm volatile("ld.acquire.gpu.global.u32 %%0, [%%1];" : "=r"(v) : "l"(p) : "memory"); return v; }
__device__ __forceinline__ unsigned qf_ld_relaxed(const unsigned* p) { unsigned v; asm volatile("ld.relaxed.gpu.global.u32 %%0, [%%1];" : "=r"(v) : "l"(p) : "memory"); return v; }
extern "C" __global__ void __launch_bounds__(%(threads)d%(minblocks)s) qf_fused(%(fparams)s, unsigned* qf_ctr) {
  __shared__ unsigned qf_ticket;
  STAMP0
  if (threadIdx.x == 0) qf_ticket = ROLE;
  __syncthreads();
  const int t = (int)qf_ticket;
  if (t < %(pblocks)d) {
    qf_pro_block(%(pargs)s, t);
    __syncthreads();
    if (threadIdx.x == 0) { __threadfence(); atomicAdd(&qf_ctr[32], 1u); }
  } else {
    if (threadIdx.x == 0) { POLL }
    __syncthreads();
    STAMPW
    const int b = t - %(pblocks)d;
    if ((int)threadIdx.x < %(bthreads)d) qf_body_block(%(bargs)s, b %% %(g0)d, (b / %(g0)d) %% %(g1)d, b / %(g01)d);
  }
  STAMP1
  if (threadIdx.x == 0 && atomicAdd(&qf_ctr[64], 1u) == %(total)du - 1u) { qf_ctr[0] = 0; qf_ctr[32] = 0; qf_ctr[64] = 0; __threadfence(); }
}
""".replace("POLL", poll).replace("ROLE", role).replace("STAMP0", stamp0).replace("STAMP1", stamp1).replace("STAMPW", stampw) % dict(threads=threads, minblocks=minblocks, fparams=fparams, pblocks=pblocks, pargs=", ".join(pn), bargs=", ".join("bd_" + n for n in bn),
           bthreads=bthreads, g0=grid[0], g1=grid[1], g01=grid[0] * grid[1], total=pblocks + grid[0] * grid[1] * grid[2], sleep=sleep)
open(os.path.join(out, "fused.cu"), "w").write(src)
open(os.path.join(out, "fused.inc"), "w").write("const int FUSED_BLOCKS = %d, FUSED_THREADS = %d;\n" % (pblocks + grid[0] * grid[1] * grid[2], threads))
print("fused %d + %d blocks of %d threads" % (pblocks, grid[0] * grid[1] * grid[2], threads))
