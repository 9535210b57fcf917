#pragma once

// The zero receive windows one side of a TCP connection advertised, and the window probes the
// other side sent into them: what the zero_window rule (zero_window_rules.h) reads.
//
// RFC 9293 3.8.6.1 (RFC 793 p.42): a receiver whose buffer is full advertises a zero window;
// the sender must keep probing it ("zero-window probes") until it opens again. Linux's probe
// (tcp_xmit_probe_skb via tcp_send_probe0, net/ipv4/tcp_output.c) is a segment without data
// "one byte behind" (SEG.SEQ = SND.UNA - 1), so that the receiver answers with an ACK carrying
// its current window. Wireshark labels that segment "TCP Keep-Alive" (it has the shape of an
// RFC 1122 4.2.3.6 keep-alive); what tells a probe from a keep-alive is the receiver's window:
// zero when the segment was sent.

#include <cstdint>
#include <deque>
#include <optional>

#include "correlate/packet_ref.h"
#include "correlate/tcp_seq.h"
#include "src/model/time.h"

namespace netcorr::correlate {

// One stretch of time during which a receiver's window stayed zero.
struct ZeroWindowPeriod {
  PacketRef first;                    // the first ACK that advertised the zero window
  PacketRef last;                     // the latest ACK that still advertised it
  RefList acks;                       // every zero-window ACK of the period (bounded)
  RefList probes;                     // the other side's window probes into it (bounded)
  std::optional<PacketRef> reopened;  // the first ACK after it with a non-zero window

  bool OpenAt(TimeNs ts) const { return first.ts <= ts && (!reopened || reopened->ts > ts); }
};

// Per direction: the zero windows this side advertised, oldest first, bounded.
class ZeroWindowTrack {
 public:
  static constexpr size_t kMaxPeriods = 8;

  // An ACK from this side advertising `window` (as on the wire; a zero stays zero whatever the
  // window scale). SYNs and RSTs are not advertisements (a RST often carries window 0).
  void Advertised(uint16_t window, PacketRef ref);
  // The other side sent a segment without data whose sequence number is one below what this
  // side has acknowledged: a window probe if this side's window is zero, else a keep-alive.
  // Returns whether it was taken as a probe.
  bool MaybeProbe(TcpSeq seq, bool acked_any, TcpSeq highest_ack, PacketRef ref);

  // The window is zero now (the last advertisement was zero).
  bool zero() const { return !periods_.empty() && !periods_.back().reopened; }
  const std::deque<ZeroWindowPeriod>& periods() const { return periods_; }

 private:
  std::deque<ZeroWindowPeriod> periods_;
};

}  // namespace netcorr::correlate
