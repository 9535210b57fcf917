#include "correlate/zero_window_track.h"

namespace netcorr::correlate {

void ZeroWindowTrack::Advertised(uint16_t window, PacketRef ref) {
  if (window != 0) {
    if (zero()) periods_.back().reopened = ref;
    return;
  }
  if (!zero()) {
    ZeroWindowPeriod p;
    p.first = ref;
    periods_.push_back(std::move(p));
    if (periods_.size() > kMaxPeriods) periods_.pop_front();
  }
  ZeroWindowPeriod& p = periods_.back();
  p.last = ref;
  p.acks.Add(ref);
}

bool ZeroWindowTrack::MaybeProbe(TcpSeq seq, bool acked_any, TcpSeq highest_ack, PacketRef ref) {
  // SEG.SEQ = SND.UNA - 1, SND.UNA being the highest ACK this (receiving) side sent.
  if (!zero() || !acked_any || seq + 1 != highest_ack) return false;
  periods_.back().probes.Add(ref);
  return true;
}

}  // namespace netcorr::correlate
