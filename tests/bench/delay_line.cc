// delay_line: holds every packet an NFQUEUE rule hands it for a fixed
// one-way delay, then accepts it, in arrival order. Run in the benchmark's
// router namespace, it adds RTT to the instance's traffic without terminating TCP
// (the kernel's netem qdisc, the usual tool, is not built on the CI kernel).
//
//   delay_line --queue 0 --delay-ms 5
//
// prints "ready" on stdout once the queue is bound; SIGTERM or SIGINT
// releases every held packet and exits 0. Packets are never copied to user
// space (NFQNL_COPY_META): only their ids are held.

// netinet/in.h (through arpa/inet.h) before the netfilter headers, which
// otherwise pull in linux/in.h and its conflicting definitions.
#include <arpa/inet.h>
// clang-format off
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
// clang-format on
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <new>

namespace {

using Clock = std::chrono::steady_clock;

struct HeldPacket {
  std::uint32_t id;
  Clock::time_point release_at;
};

struct NfqHandleCloser {
  void operator()(nfq_handle* handle) const { nfq_close(handle); }
};
struct NfqQueueDestroyer {
  void operator()(nfq_q_handle* queue) const { nfq_destroy_queue(queue); }
};
using NfqHandle = std::unique_ptr<nfq_handle, NfqHandleCloser>;
using NfqQueue = std::unique_ptr<nfq_q_handle, NfqQueueDestroyer>;

volatile sig_atomic_t stop_requested = 0;
void request_stop(int /*signal*/) { stop_requested = 1; }

// The constant delay keeps release order equal to arrival order, so a FIFO
// is the whole schedule.
struct DelayLine {
  Clock::duration delay;
  std::deque<HeldPacket> held;
  bool out_of_memory = false;
};

// Called by nfq_handle_packet (C code): must not throw.
int on_packet(nfq_q_handle* /*queue*/, nfgenmsg* /*message*/, nfq_data* data, void* context) {
  auto* line = static_cast<DelayLine*>(context);
  const nfqnl_msg_packet_hdr* header = nfq_get_msg_packet_hdr(data);
  if (header == nullptr) return 0;
  try {
    line->held.push_back({ntohl(header->packet_id), Clock::now() + line->delay});
  } catch (const std::bad_alloc&) {
    line->out_of_memory = true;
    return -1;
  }
  return 0;
}

bool release_due(nfq_q_handle* queue, DelayLine& line, bool everything) {
  const auto now = Clock::now();
  while (!line.held.empty() && (everything || line.held.front().release_at <= now)) {
    if (nfq_set_verdict(queue, line.held.front().id, NF_ACCEPT, 0, nullptr) < 0) {
      std::fprintf(stderr, "delay_line: verdict failed: %s\n", std::strerror(errno));
      return false;
    }
    line.held.pop_front();
  }
  return true;
}

// ppoll's timeout until the oldest held packet is due (nanoseconds, so a
// 1 ms delay is not rounded to poll's milliseconds); null: wait for packets.
const timespec* wait_time(const DelayLine& line, timespec& storage) {
  if (line.held.empty()) return nullptr;
  auto left = line.held.front().release_at - Clock::now();
  if (left < Clock::duration::zero()) left = Clock::duration::zero();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  storage.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  storage.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  return &storage;
}

int run(std::uint16_t queue_number, double delay_ms) {
  DelayLine line{std::chrono::duration_cast<Clock::duration>(
                     std::chrono::duration<double, std::milli>(delay_ms)),
                 {}};
  NfqHandle handle(nfq_open());
  if (!handle) {
    std::fprintf(stderr, "delay_line: nfq_open: %s\n", std::strerror(errno));
    return 1;
  }
  NfqQueue queue(nfq_create_queue(handle.get(), queue_number, &on_packet, &line));
  if (!queue) {
    std::fprintf(stderr, "delay_line: cannot bind queue %u: %s\n", queue_number,
                 std::strerror(errno));
    return 1;
  }
  // Room for a burst of held packets: a full queue drops, which would look
  // like loss, not delay.
  if (nfq_set_mode(queue.get(), NFQNL_COPY_META, 0) < 0 ||
      nfq_set_queue_maxlen(queue.get(), 65536) < 0 ||
      nfq_set_queue_flags(queue.get(), NFQA_CFG_F_GSO, NFQA_CFG_F_GSO) < 0) {
    std::fprintf(stderr, "delay_line: configuring the queue: %s\n", std::strerror(errno));
    return 1;
  }
  nfnl_rcvbufsiz(nfq_nfnlh(handle.get()), 8 * 1024 * 1024);
  const int fd = nfq_fd(handle.get());

  struct sigaction action {};
  action.sa_handler = request_stop;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  // Timers fire within 1 us of the release time instead of the default 50 us.
  prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);

  std::printf("ready\n");
  std::fflush(stdout);

  alignas(nlmsghdr) char buffer[65536];
  std::uint64_t overruns = 0;
  while (!stop_requested) {
    timespec storage{};
    pollfd readable{fd, POLLIN, 0};
    const int ready = ppoll(&readable, 1, wait_time(line, storage), nullptr);
    if (ready < 0 && errno != EINTR) {
      std::fprintf(stderr, "delay_line: ppoll: %s\n", std::strerror(errno));
      return 1;
    }
    if (ready > 0) {
      // Drain what is queued without blocking, so bursts keep their spacing.
      for (;;) {
        const ssize_t got = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (got < 0) {
          if (errno == ENOBUFS) {  // the kernel dropped messages: count, go on
            ++overruns;
            continue;
          }
          break;  // EAGAIN: drained
        }
        nfq_handle_packet(handle.get(), buffer, static_cast<int>(got));
      }
      if (line.out_of_memory) {
        std::fprintf(stderr, "delay_line: out of memory\n");
        release_due(queue.get(), line, true);
        return 1;
      }
    }
    if (!release_due(queue.get(), line, false)) return 1;
  }
  const bool released = release_due(queue.get(), line, true);
  if (overruns > 0) {
    std::fprintf(stderr, "delay_line: %llu receive overruns (packets dropped)\n",
                 static_cast<unsigned long long>(overruns));
  }
  return released ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Delay every packet of an NFQUEUE by a fixed time, in order"};
  std::uint16_t queue_number = 0;
  double delay_ms = 0;
  app.add_option("--queue", queue_number, "NFQUEUE number (nft: queue num N)");
  app.add_option("--delay-ms", delay_ms, "one-way delay per packet, milliseconds")
      ->required()
      ->check(CLI::Range(0.0, 10000.0));
  CLI11_PARSE(app, argc, argv);
  return run(queue_number, delay_ms);
}
