// uring_client: drives a TCP socket through io_uring (IORING_OP_CONNECT, SEND, RECV) with raw
// io_uring_setup/io_uring_enter and <linux/io_uring.h>, no liburing. ptrace sees socket(),
// io_uring_setup() and io_uring_enter(), never the connect, send or receive themselves: the
// program netcorr's io_uring blind spot is tested with.
//
//   uring_client --host H --port P [--send BYTES] [--timeout-ms MS]
//
// Each operation is linked to an IORING_OP_LINK_TIMEOUT (default 3000 ms), so every wait is
// bounded. One line on stdout, like the other examples:
//   result: ok bytes=N              (connected; with --send, N bytes sent and echoed back)
//   result: <op> <ERRNO>            e.g. "result: connect ECONNREFUSED"
//   result: <op> timeout            the linked timeout cancelled the operation
// Exit status 0 on success, 1 on failure, 2 for usage errors, 3 when io_uring is unavailable.
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "examples/example_util.h"

namespace {

using ::netcorr::examples::ErrnoName;

// user_data of the linked timeout; operations use 1.
constexpr uint64_t kTimeoutTag = 2;

// The three shared mappings of one ring, as io_uring_setup(2) describes them.
class Ring {
 public:
  bool Open(unsigned entries) {
    io_uring_params p{};
    fd_ = static_cast<int>(syscall(__NR_io_uring_setup, entries, &p));
    if (fd_ < 0) return false;
    sq_bytes_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    cq_bytes_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
    const bool single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
    if (single) sq_bytes_ = cq_bytes_ = std::max(sq_bytes_, cq_bytes_);
    sq_ = Map(sq_bytes_, IORING_OFF_SQ_RING);
    cq_ = single ? sq_ : Map(cq_bytes_, IORING_OFF_CQ_RING);
    sqe_bytes_ = p.sq_entries * sizeof(io_uring_sqe);
    sqes_ = static_cast<io_uring_sqe*>(Map(sqe_bytes_, IORING_OFF_SQES));
    if (sq_ == nullptr || cq_ == nullptr || sqes_ == nullptr) return false;
    auto* sq = static_cast<char*>(sq_);
    auto* cq = static_cast<char*>(cq_);
    sq_tail_ = reinterpret_cast<unsigned*>(sq + p.sq_off.tail);
    sq_mask_ = *reinterpret_cast<unsigned*>(sq + p.sq_off.ring_mask);
    sq_array_ = reinterpret_cast<unsigned*>(sq + p.sq_off.array);
    cq_head_ = reinterpret_cast<unsigned*>(cq + p.cq_off.head);
    cq_tail_ = reinterpret_cast<unsigned*>(cq + p.cq_off.tail);
    cq_mask_ = *reinterpret_cast<unsigned*>(cq + p.cq_off.ring_mask);
    cqes_ = reinterpret_cast<io_uring_cqe*>(cq + p.cq_off.cqes);
    return true;
  }

  ~Ring() {
    if (sqes_ != nullptr) munmap(sqes_, sqe_bytes_);
    if (cq_ != nullptr && cq_ != sq_) munmap(cq_, cq_bytes_);
    if (sq_ != nullptr) munmap(sq_, sq_bytes_);
    if (fd_ >= 0) close(fd_);
  }

  // Queues one entry; the kernel sees it at the next Enter().
  void Push(const io_uring_sqe& sqe) {
    const unsigned tail = __atomic_load_n(sq_tail_, __ATOMIC_ACQUIRE);
    const unsigned index = tail & sq_mask_;
    sqes_[index] = sqe;
    sq_array_[index] = index;
    __atomic_store_n(sq_tail_, tail + 1, __ATOMIC_RELEASE);
  }

  // Submits what was pushed and waits for `complete` completions; -errno on failure.
  int Enter(unsigned submit, unsigned complete) {
    const long r =
        syscall(__NR_io_uring_enter, fd_, submit, complete, IORING_ENTER_GETEVENTS, nullptr, 0);
    return r < 0 ? -errno : static_cast<int>(r);
  }

  // The result of the completion tagged `tag` among those ready (they are all consumed).
  bool TakeResult(uint64_t tag, int* res) {
    bool found = false;
    unsigned head = __atomic_load_n(cq_head_, __ATOMIC_ACQUIRE);
    while (head != __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE)) {
      const io_uring_cqe& c = cqes_[head & cq_mask_];
      if (c.user_data == tag) {
        *res = c.res;
        found = true;
      }
      ++head;
    }
    __atomic_store_n(cq_head_, head, __ATOMIC_RELEASE);
    return found;
  }

 private:
  void* Map(size_t bytes, off_t offset) {
    void* m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, offset);
    return m == MAP_FAILED ? nullptr : m;
  }

  int fd_ = -1;
  void* sq_ = nullptr;
  void* cq_ = nullptr;
  io_uring_sqe* sqes_ = nullptr;
  size_t sq_bytes_ = 0, cq_bytes_ = 0, sqe_bytes_ = 0;
  unsigned* sq_tail_ = nullptr;
  unsigned sq_mask_ = 0;
  unsigned* sq_array_ = nullptr;
  unsigned* cq_head_ = nullptr;
  unsigned* cq_tail_ = nullptr;
  unsigned cq_mask_ = 0;
  io_uring_cqe* cqes_ = nullptr;
};

// Runs one operation linked to a timeout: the operation's result (bytes or -errno), -ETIME
// when the timeout cancelled it.
int RunBounded(Ring& ring, io_uring_sqe op, int timeout_ms) {
  __kernel_timespec deadline{timeout_ms / 1000, (timeout_ms % 1000) * 1'000'000L};
  op.flags |= IOSQE_IO_LINK;
  op.user_data = 1;
  io_uring_sqe timeout{};
  timeout.opcode = IORING_OP_LINK_TIMEOUT;
  timeout.fd = -1;
  timeout.addr = reinterpret_cast<uint64_t>(&deadline);
  timeout.len = 1;
  timeout.user_data = kTimeoutTag;
  ring.Push(op);
  ring.Push(timeout);
  // Both entries complete, whichever finishes first (the other is cancelled).
  if (int r = ring.Enter(2, 2); r < 0) return r;
  int res = -EIO;
  if (!ring.TakeResult(1, &res)) return -EIO;
  return res == -ECANCELED ? -ETIME : res;
}

int Fail(const char* op, int negative_errno) {
  if (negative_errno == -ETIME) {
    std::printf("result: %s timeout\n", op);
  } else {
    std::printf("result: %s %s\n", op, ErrnoName(-negative_errno));
  }
  return 1;
}

int Usage() {
  std::fprintf(stderr, "usage: uring_client --host H --port P [--send BYTES] [--timeout-ms MS]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host;
  int port = 0;
  long send_bytes = 0;
  int timeout_ms = 3000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--host") {
      host = argv[i + 1];
    } else if (flag == "--port") {
      port = std::atoi(argv[i + 1]);
    } else if (flag == "--send") {
      send_bytes = std::atol(argv[i + 1]);
    } else if (flag == "--timeout-ms") {
      timeout_ms = std::atoi(argv[i + 1]);
    } else {
      return Usage();
    }
  }
  if (argc % 2 != 1 || host.empty() || port <= 0 || port > 65535 || send_bytes < 0 ||
      send_bytes > (1 << 20) || timeout_ms <= 0) {
    return Usage();
  }
  sockaddr_storage addr;
  const socklen_t len = ::netcorr::examples::NumericAddress(host, port, &addr);
  if (len == 0) return Usage();

  Ring ring;
  if (!ring.Open(8)) {
    std::printf("result: io_uring_setup %s\n", ErrnoName(errno));
    return 3;
  }
  const int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail("socket", -errno);

  io_uring_sqe connect{};
  connect.opcode = IORING_OP_CONNECT;
  connect.fd = fd;
  connect.addr = reinterpret_cast<uint64_t>(&addr);
  connect.off = len;
  int status = 0;
  if (int r = RunBounded(ring, connect, timeout_ms); r < 0) {
    status = Fail("connect", r);
  } else if (send_bytes > 0) {
    std::vector<char> out(send_bytes, 'x');
    io_uring_sqe send{};
    send.opcode = IORING_OP_SEND;
    send.fd = fd;
    send.addr = reinterpret_cast<uint64_t>(out.data());
    send.len = static_cast<uint32_t>(out.size());
    std::vector<char> in(send_bytes);
    long got = 0;
    if (int s = RunBounded(ring, send, timeout_ms); s < 0) {
      status = Fail("send", s);
    } else {
      // The echo may come back in pieces; bounded by the bytes sent and the timeout per piece.
      while (got < send_bytes) {
        io_uring_sqe recv{};
        recv.opcode = IORING_OP_RECV;
        recv.fd = fd;
        recv.addr = reinterpret_cast<uint64_t>(in.data() + got);
        recv.len = static_cast<uint32_t>(send_bytes - got);
        const int n = RunBounded(ring, recv, timeout_ms);
        if (n <= 0) {
          status = n == 0 ? (std::printf("result: recv eof bytes=%ld\n", got), 1) : Fail("recv", n);
          break;
        }
        got += n;
      }
    }
    if (status == 0) std::printf("result: ok bytes=%ld\n", got);
  } else {
    std::printf("result: ok bytes=0\n");
  }
  close(fd);
  return status;
}
