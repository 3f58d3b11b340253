// qflash's CPU emulator of emitted CUDA kernels: runs the launches of one call, as the GPU runtime issues them,
// on kernels compiled for the host against qf_emu.h (one shared library per CUDA source).
//
// Each CUDA thread is a fiber; a block's fibers run on one OS thread, one fiber at a time, until each blocks at a
// barrier, a warp exchange or its end, so every schedule it runs is one a GPU may run. The fibers take their turns
// in a fresh pseudo-random order each round (seeded by the launch and block), so that a read missing its barrier
// meets the write it needed unmade in one round or another, whichever thread writes; the same every run. Blocks run side by side on a few OS threads; a launch whose blocks wait for each other (the
// grid-wide prologue's barriers) gets an OS thread per block, as the GPU has them all resident.
//
// Checks along the way: a barrier no thread can pass (threads wait at different barriers) is an error, not a
// hang; every buffer and each block's shared memory are followed by guard bytes, tested after each launch; fresh
// shared memory holds a pattern, not zeros; cp.async copies land at the wait that covers them, not before.
//
//   qf_emu_driver SCRIPT OUT      (the script format: qflash.emu.Emulator, which writes it)
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "qf_emu.h"

// The fiber switch (System V x86-64): saves the callee-saved registers and the x87/SSE control words on the
// current stack, stores its pointer in *save, loads `load` and returns into whatever that stack saved.
extern "C" void qf_emu_switch(void** save, void* load);
asm(R"(
  .text
  .globl qf_emu_switch
  .type qf_emu_switch, @function
qf_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $16, %rsp
  stmxcsr 8(%rsp)
  fnstcw (%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  fldcw (%rsp)
  ldmxcsr 8(%rsp)
  addq $16, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size qf_emu_switch, .-qf_emu_switch

  .globl qf_emu_trampoline
  .type qf_emu_trampoline, @function
qf_emu_trampoline:
  movq %r12, %rdi
  callq *%r13
  ud2
  .size qf_emu_trampoline, .-qf_emu_trampoline
)");
extern "C" void qf_emu_trampoline();

namespace qf_emu {
namespace {

constexpr std::size_t STACK = 128 * 1024;   // per fiber: the kernels' register arrays, unoptimised frames
constexpr std::size_t GUARD = 64;           // bytes after each buffer and block's shared memory
constexpr unsigned char GUARD_BYTE = 0xC5, FRESH_SMEM = 0x5A;

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "%s\n", msg.c_str());
  std::fflush(stderr);
  std::_Exit(1);
}

struct Copy { void* dst; const void* src; int bytes, src_bytes; };

struct Fiber {
  void* sp = nullptr;
  unsigned tid = 0;
  bool done = false;
  std::vector<Copy> open;                  // issued, not yet committed
  std::deque<std::vector<Copy>> groups;    // committed, not yet waited for
};

struct Warp {
  unsigned arrived = 0, gen = 0, mask = 0, live = 0;
  u32 slots[2][32][16];   // by exchange parity: a lane may be one exchange ahead of a lane still reading
};

struct Launch {
  std::string name;
  void (*entry)(void**) = nullptr;
  qf_dim3 grid{1, 1, 1};
  unsigned threads = 1;
  std::size_t smem = 0;
  bool coresident = false;
  unsigned seed = 0;   // the launch's place in the call: each launch of a call turns its fibers in other orders
  std::vector<void*> args;
  std::vector<std::vector<unsigned char>> values;   // what args point at
};

struct Block {
  const Launch* launch = nullptr;
  qf_dim3 idx{0, 0, 0};
  std::vector<Fiber> fibers;
  std::vector<Warp> warps;
  void* sched_sp = nullptr;
  unsigned live = 0, bar_arrived = 0, bar_gen = 0;
  std::uint64_t epoch = 0;   // bumped by every arrival and exit: a pass of the scheduler without it is a deadlock
  unsigned char* smem = nullptr;
  std::mt19937 order_rng;
  char* stacks = nullptr;
  std::size_t stacks_bytes = 0;
};

bool eager_copies = false;
thread_local Block* blk = nullptr;
thread_local Fiber* cur = nullptr;

void yield() { qf_emu_switch(&cur->sp, blk->sched_sp); }

void perform(const Copy& c) {
  if (c.src_bytes > 0) std::memcpy(c.dst, c.src, (std::size_t)std::min(c.src_bytes, c.bytes));
  if (c.src_bytes < c.bytes) std::memset(static_cast<char*>(c.dst) + std::max(c.src_bytes, 0), 0, (std::size_t)(c.bytes - std::max(c.src_bytes, 0)));
}

// A barrier opens (its generation moves on) once every thread that can still arrive has: the block's live threads
// for __syncthreads, the warp's live lanes in the mask for a warp exchange. Tested at each arrival and each exit.
void open_if_full(Block& b) {
  if (b.bar_arrived > 0 && b.bar_arrived == b.live) {
    b.bar_arrived = 0;
    b.bar_gen++;
  }
}
void open_if_full(Warp& W) {
  if (W.arrived > 0 && W.arrived == (unsigned)__builtin_popcount(W.mask & W.live)) {
    W.arrived = 0;
    W.gen++;
  }
}

void fiber_main(Fiber* f) {
  blk->launch->entry(const_cast<void**>(blk->launch->args.data()));
  Block& b = *blk;
  f->done = true;
  b.live--;
  b.warps[f->tid / 32].live &= ~(1u << (f->tid % 32));
  b.epoch++;
  open_if_full(b);   // an exited thread no longer holds a barrier back
  open_if_full(b.warps[f->tid / 32]);
  qf_emu_switch(&f->sp, b.sched_sp);
  die("a finished fiber was resumed");
}

std::string where(const Block& b) {
  char s[200];
  std::snprintf(s, sizeof s, "%s, block (%u, %u, %u) of (%u, %u, %u), %u threads", b.launch->name.c_str(), b.idx.x, b.idx.y, b.idx.z,
                b.launch->grid.x, b.launch->grid.y, b.launch->grid.z, b.launch->threads);
  return s;
}

void run_block(Block& b) {
  const unsigned n = b.launch->threads;
  b.fibers.assign(n, Fiber{});
  b.warps.assign((n + 31) / 32, Warp{});
  for (unsigned w = 0; w < b.warps.size(); w++) b.warps[w].live = (n - 32 * w >= 32) ? 0xffffffffu : ((1u << (n - 32 * w)) - 1);
  b.live = n;
  b.bar_arrived = b.bar_gen = 0;
  std::memset(b.smem, FRESH_SMEM, b.launch->smem);
  std::memset(b.smem + b.launch->smem, GUARD_BYTE, GUARD);
  for (unsigned t = 0; t < n; t++) {
    Fiber& f = b.fibers[t];
    f.tid = t;
    // The frame qf_emu_switch pops: control words, r15..r12, rbx, rbp, then the trampoline as the return address;
    // r12 holds the fiber and r13 the function the trampoline calls with it (the stack 16-byte aligned at the call).
    auto* top = reinterpret_cast<std::uint64_t*>(b.stacks + (std::size_t)(t + 1) * STACK);
    std::uint64_t* sp = top - 11;
    std::memset(sp, 0, 11 * sizeof *sp);
    const std::uint32_t mxcsr = 0x1f80;
    const std::uint16_t fpcw = 0x037f;
    std::memcpy(reinterpret_cast<char*>(sp), &fpcw, 2);
    std::memcpy(reinterpret_cast<char*>(sp) + 8, &mxcsr, 4);
    sp[2 + 3] = reinterpret_cast<std::uint64_t>(&f);            // r12
    sp[2 + 2] = reinterpret_cast<std::uint64_t>(&fiber_main);   // r13
    sp[8] = reinterpret_cast<std::uint64_t>(&qf_emu_trampoline);
    f.sp = sp;
  }
  std::vector<unsigned> order(n);
  for (unsigned t = 0; t < n; t++) order[t] = t;
  b.order_rng.seed(0x9e3779b9u ^ (b.idx.x + 65536u * (b.idx.y + 4096u * b.idx.z)) ^ b.launch->seed);
  while (b.live > 0) {
    const std::uint64_t before = b.epoch;
    std::shuffle(order.begin(), order.end(), b.order_rng);
    for (unsigned t : order) {
      Fiber& f = b.fibers[t];
      if (f.done) continue;
      cur = &f;
      qf_emu_switch(&b.sched_sp, f.sp);
    }
    cur = nullptr;
    if (b.live > 0 && b.epoch == before) {
      unsigned at_bar = b.bar_arrived;
      die("deadlock in " + where(b) + ": " + std::to_string(b.live) + " threads alive, " + std::to_string(at_bar) +
          " of them at __syncthreads, the others at a warp-wide operation that not all of their warp reaches");
    }
  }
  for (std::size_t i = 0; i < GUARD; i++) {
    if (b.smem[b.launch->smem + i] != GUARD_BYTE) die("out-of-bounds write past the " + std::to_string(b.launch->smem) + " bytes of dynamic shared memory in " + where(b));
  }
}

// One OS thread's share of a launch: blocks from a shared counter, one at a time.
void worker(const Launch* L, std::atomic<unsigned>* next, unsigned total) {
  Block b;
  b.launch = L;
  b.stacks_bytes = (std::size_t)L->threads * STACK;
  void* m = mmap(nullptr, b.stacks_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) die("cannot map fiber stacks for " + L->name);
  b.stacks = static_cast<char*>(m);
  const long page = sysconf(_SC_PAGESIZE);
  for (unsigned t = 0; t < L->threads; t++) mprotect(b.stacks + (std::size_t)t * STACK, (std::size_t)page, PROT_NONE);   // overflow faults
  std::vector<unsigned char> smem(L->smem + GUARD + 16);
  b.smem = reinterpret_cast<unsigned char*>((reinterpret_cast<std::uintptr_t>(smem.data()) + 15) & ~std::uintptr_t(15));
  blk = &b;
  for (unsigned i; (i = next->fetch_add(1)) < total;) {
    b.idx = {i % L->grid.x, i / L->grid.x % L->grid.y, i / (L->grid.x * L->grid.y)};
    run_block(b);
  }
  blk = nullptr;
  munmap(b.stacks, b.stacks_bytes);
}

void run(const Launch& L) {
  const unsigned total = L.grid.x * L.grid.y * L.grid.z;
  if (total == 0) return;
  unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const unsigned workers = L.coresident ? total : std::min(total, hw);
  std::atomic<unsigned> next{0};
  std::vector<std::thread> pool;
  for (unsigned w = 0; w < workers; w++) pool.emplace_back(worker, &L, &next, total);
  for (auto& t : pool) t.join();
}

// ---- the script ----
struct Reader {
  std::vector<unsigned char> data;
  std::size_t at = 0;
  void need(std::size_t n) {
    if (at + n > data.size()) die("truncated emulator script");
  }
  std::int32_t i32() { need(4); std::int32_t v; std::memcpy(&v, &data[at], 4); at += 4; return v; }
  std::int64_t i64v() { need(8); std::int64_t v; std::memcpy(&v, &data[at], 8); at += 8; return v; }
  std::string str() { std::int32_t n = i32(); need((std::size_t)n); std::string s(reinterpret_cast<char*>(&data[at]), (std::size_t)n); at += (std::size_t)n; return s; }
  const unsigned char* bytes(std::size_t n) { need(n); const unsigned char* p = &data[at]; at += n; return p; }
};

std::vector<unsigned char> slurp(const char* path) {
  FILE* f = std::fopen(path, "rb");
  if (!f) die(std::string("cannot read ") + path);
  std::vector<unsigned char> d;
  unsigned char buf[1 << 16];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) d.insert(d.end(), buf, buf + n);
  std::fclose(f);
  return d;
}

}  // namespace

// ---- what qf_emu.h declares ----
qf_dim3 thread_idx() { return {cur->tid, 0, 0}; }
qf_dim3 block_idx() { return blk->idx; }
qf_dim3 block_dim() { return {blk->launch->threads, 1, 1}; }
qf_dim3 grid_dim() { return blk->launch->grid; }
unsigned char* dyn_smem() { return blk->smem; }

void syncthreads() {
  Block& b = *blk;
  const unsigned g = b.bar_gen;
  b.bar_arrived++;
  b.epoch++;
  open_if_full(b);
  while (b.bar_gen == g) yield();
}

const u32 (*exchange(unsigned mask, const u32* words, int n))[16] {
  Block& b = *blk;
  const unsigned w = cur->tid / 32, lane = cur->tid % 32;
  Warp& W = b.warps[w];
  const unsigned g = W.gen;
  const int p = (int)(g & 1);
  std::memcpy(W.slots[p][lane], words, (std::size_t)n * 4);
  if (W.arrived == 0) W.mask = mask;
  W.arrived++;
  b.epoch++;
  open_if_full(W);
  while (W.gen == g) yield();
  return W.slots[p];
}

void cp_async(void* dst, const void* src, int bytes, int src_bytes) {
  const Copy c{dst, src, bytes, src_bytes};
  if (eager_copies) perform(c);
  else cur->open.push_back(c);
}

void cp_async_commit() {
  cur->groups.push_back(std::move(cur->open));
  cur->open.clear();
}

void cp_async_wait(int n) {
  while (cur->groups.size() > (std::size_t)n) {
    for (const Copy& c : cur->groups.front()) perform(c);
    cur->groups.pop_front();
  }
}

}  // namespace qf_emu

int main(int argc, char** argv) {
  using namespace qf_emu;
  if (argc != 3) die("usage: qf_emu_driver SCRIPT OUT");
  Reader r{slurp(argv[1])};
  if (std::memcmp(r.bytes(7), "QFEMU1\n", 7) != 0) die("not an emulator script");
  eager_copies = (r.i32() & 1) != 0;
  std::vector<void*> libs;
  for (std::int32_t i = 0, n = r.i32(); i < n; i++) {
    std::string path = r.str();
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) die(std::string("cannot load ") + path + ": " + dlerror());
    libs.push_back(h);
  }
  struct Buffer { unsigned char* p; std::size_t bytes; };
  std::vector<Buffer> bufs;
  std::vector<std::unique_ptr<unsigned char[]>> storage;
  for (std::int32_t i = 0, n = r.i32(); i < n; i++) {
    const std::size_t bytes = (std::size_t)r.i64v();
    storage.emplace_back(new unsigned char[bytes + 2 * GUARD + 256]);
    auto* base = reinterpret_cast<unsigned char*>((reinterpret_cast<std::uintptr_t>(storage.back().get()) + GUARD + 255) & ~std::uintptr_t(255));
    std::memset(base - GUARD, GUARD_BYTE, GUARD);
    std::memset(base + bytes, GUARD_BYTE, GUARD);
    if (r.i32()) std::memcpy(base, r.bytes(bytes), bytes);
    else std::memset(base, 0, bytes);
    bufs.push_back({base, bytes});
  }
  std::vector<Launch> launches(r.i32());
  for (Launch& L : launches) {
    L.seed = (unsigned)(&L - launches.data()) * 2654435761u;
    const std::int32_t lib = r.i32();
    L.name = r.str();
    if (lib < 0 || (std::size_t)lib >= libs.size()) die("bad library index");
    L.entry = reinterpret_cast<void (*)(void**)>(dlsym(libs[(std::size_t)lib], ("qf_emu_entry_" + L.name).c_str()));
    if (!L.entry) die("no kernel " + L.name + " in its library");
    L.grid = {(unsigned)r.i32(), (unsigned)r.i32(), (unsigned)r.i32()};
    L.threads = (unsigned)r.i32();
    L.smem = (std::size_t)r.i32();
    L.coresident = r.i32() != 0;
    const std::int32_t nargs = r.i32();
    L.values.resize((std::size_t)nargs);
    for (std::int32_t a = 0; a < nargs; a++) {
      std::vector<unsigned char>& v = L.values[(std::size_t)a];
      if (r.i32() == 0) {
        const std::int32_t b = r.i32();
        void* p = b < 0 ? nullptr : bufs.at((std::size_t)b).p;
        v.resize(sizeof p);
        std::memcpy(v.data(), &p, sizeof p);
      } else {
        const std::int32_t len = r.i32();
        const unsigned char* src = r.bytes((std::size_t)len);
        v.assign(src, src + len);
        v.resize(std::max<std::size_t>(v.size(), 8));
      }
    }
    for (auto& v : L.values) L.args.push_back(v.data());
  }
  std::vector<std::int32_t> outs;
  for (std::int32_t i = 0, n = r.i32(); i < n; i++) outs.push_back(r.i32());
  for (const Launch& L : launches) {
    run(L);
    for (std::size_t i = 0; i < bufs.size(); i++) {
      for (std::size_t g = 0; g < GUARD; g++) {
        if (bufs[i].p[bufs[i].bytes + g] != GUARD_BYTE || bufs[i].p[-(std::ptrdiff_t)GUARD + (std::ptrdiff_t)g] != GUARD_BYTE) {
          die("out-of-bounds write beside buffer " + std::to_string(i) + " (" + std::to_string(bufs[i].bytes) + " bytes) by " + L.name);
        }
      }
    }
  }
  FILE* f = std::fopen(argv[2], "wb");
  if (!f) die(std::string("cannot write ") + argv[2]);
  for (std::int32_t o : outs) std::fwrite(bufs.at((std::size_t)o).p, 1, bufs.at((std::size_t)o).bytes, f);
  std::fclose(f);
  return 0;
}
