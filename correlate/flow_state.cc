#include "correlate/flow_state.h"

#include <algorithm>

namespace netcorr::correlate {

bool TcpConnection::RstRefusesSyn(int from_side) const {
  if (from_side < 0 || !has_syn || from_side == initiator_side) return false;
  const TcpDirection& d = dir[from_side];
  return d.rst.has_value() && d.rst_ack.has_value() && TcpSeq(*d.rst_ack) == isn + 1;
}

bool FlowRecord::Closed() const {
  if (key.transport == Transport::kTcp) return tcp.empty() || tcp.back().closed();
  // UDP has no connection on the wire: once no open socket needs it, it is as good as closed.
  return true;
}

std::vector<const IcmpRecord*> FlowRecord::IcmpBetween(TimeNs from, TimeNs to) const {
  std::vector<const IcmpRecord*> out;
  auto take = [&](const std::vector<IcmpRecord>& list) {
    for (const IcmpRecord& r : list) {
      if (r.ref.ts >= from && r.ref.ts <= to) out.push_back(&r);
    }
  };
  take(udp.icmp);
  for (const TcpConnection& c : tcp) take(c.icmp);
  return out;
}

const FlowRecord* FlowTable::Find(const NormalizedFlowKey& key) const {
  auto it = flows_.find(key);
  return it == flows_.end() ? nullptr : &it->second;
}

FlowRecord* FlowTable::FindMutable(const NormalizedFlowKey& key) {
  auto it = flows_.find(key);
  return it == flows_.end() ? nullptr : &it->second;
}

std::vector<FlowRecord*> FlowTable::FindByRemote(Transport transport, const Endpoint& remote) {
  std::vector<FlowRecord*> out;
  auto it = by_remote_.find(RemoteKey{transport, remote});
  if (it == by_remote_.end()) return out;
  for (auto k = it->second.rbegin(); k != it->second.rend(); ++k) {
    if (FlowRecord* f = FindMutable(*k)) out.push_back(f);
  }
  return out;
}

FlowRecord& FlowTable::Get(const NormalizedFlowKey& key, TimeNs ts) {
  auto [it, inserted] = flows_.try_emplace(key);
  FlowRecord& f = it->second;
  if (inserted) {
    f.key = key;
    f.first_ts = ts;
  }
  f.last_ts = std::max(f.last_ts, ts);
  return f;
}

void FlowTable::IndexRemote(const NormalizedFlowKey& key, Transport transport,
                            const Endpoint& remote) {
  std::deque<NormalizedFlowKey>& keys = by_remote_[RemoteKey{transport, remote}];
  if (!keys.empty() && keys.back() == key) return;
  keys.push_back(key);
  if (keys.size() > kMaxFlowsPerRemote) keys.pop_front();
}

void FlowTable::Add(const Packet& packet) {
  if (packet.icmp_error) {
    AddIcmp(packet);
    return;
  }
  if (packet.is_fragment) return;  // no L4 header: nothing to attribute
  if (packet.transport == Transport::kTcp && packet.tcp) {
    AddTcp(packet);
  } else if (packet.transport == Transport::kUdp) {
    AddUdp(packet);
  }
}

namespace {

TcpConnection NewConnection(TimeNs ts) {
  TcpConnection c;
  c.first_ts = ts;
  c.last_ts = ts;
  return c;
}

void PushConnection(FlowRecord& flow, TcpConnection c) {
  flow.tcp.push_back(std::move(c));
  if (flow.tcp.size() > FlowTable::kMaxConnectionsPerFlow) flow.tcp.erase(flow.tcp.begin());
}

// Segments of `d` that the other side's cumulative ACK now covers leave the in-flight list; the
// largest of them is the largest segment known to have crossed the path.
void Acknowledge(TcpDirection& d, TcpSeq ack, TimeNs ts) {
  while (!d.in_flight.empty()) {
    const TcpDirection::InFlight& seg = d.in_flight.front();
    if (seg.seq + seg.len > ack) break;
    d.largest_acked = std::max(d.largest_acked, seg.len);
    d.acked_progress_ts = ts;
    d.in_flight.pop_front();
  }
}

// Sequence bookkeeping for one data segment. RFC 793 section 3.3: a segment occupies
// [SEG.SEQ, SEG.SEQ+SEG.LEN); the sender only moves SND.NXT forward, so a segment whose range
// lies before the highest end already sent repeats data: a retransmission.
void TrackData(TcpDirection& d, const TcpDirection& other, TcpSeq seq, uint32_t len,
               PacketRef ref) {
  const TcpSeq end = seq + len;
  if (!d.has_next) {
    d.has_next = true;
    d.next = end;
    d.bytes += len;
    ++d.data_segments;
    d.in_flight.push_back({seq, len, ref.ts, false});
    return;
  }
  if (end <= d.next) {
    // RFC 1122 4.2.3.6: a keep-alive probe carries SEG.SEQ = SND.NXT-1 and zero or one garbage
    // byte; it repeats a byte the peer already acknowledged, and is not a loss signal.
    const bool keepalive =
        len <= 1 && end == d.next && other.has_ack && other.highest_ack >= d.next;
    if (keepalive) return;
    d.retransmits.Add(ref);
    d.largest_retransmitted = std::max(d.largest_retransmitted, len);
    for (TcpDirection::InFlight& f : d.in_flight) {
      if (f.seq == seq || (f.seq < end && seq < f.seq + f.len)) {
        f.retransmitted = true;
        break;
      }
    }
    return;
  }
  if (seq < d.next) {
    // Partly old, partly new data (a retransmission that coalesced more bytes).
    d.retransmits.Add(ref);
    d.largest_retransmitted = std::max(d.largest_retransmitted, len);
    d.bytes += static_cast<uint32_t>(end - d.next);
  } else {
    d.bytes += len;
  }
  ++d.data_segments;
  d.next = end;
  d.in_flight.push_back({seq, len, ref.ts, false});
  if (d.in_flight.size() > FlowTable::kMaxInFlight) d.in_flight.pop_front();
}

}  // namespace

void FlowTable::AddTcp(const Packet& packet) {
  const TcpSegment& seg = *packet.tcp;
  const NormalizedFlowKey key = NormalizedFlowKey::From(Transport::kTcp, packet.src, packet.dst);
  const int side = key.SideOf(packet.src);
  FlowRecord& flow = Get(key, packet.ts_ns);
  const PacketRef ref{packet.id, packet.ts_ns};
  const TcpSeq seq(seg.seq);

  const bool syn_only = seg.has(kTcpSyn) && !seg.has(kTcpAck);
  if (syn_only) {
    TcpConnection* last = flow.tcp.empty() ? nullptr : &flow.tcp.back();
    if (last && last->has_syn && last->initiator_side == side && last->isn == seq) {
      // Same ISN again: the SYN was retransmitted (RFC 6298 / RFC 1122 4.2.3.5 retries).
      last->syns.Add(ref);
    } else if (last && !last->has_syn &&
               std::abs(last->first_ts - packet.ts_ns) <= kReorderWindowNs) {
      // Packets of this attempt were recorded before its SYN (capture ordering): adopt them.
      last->has_syn = true;
      last->initiator_side = side;
      last->isn = seq;
      last->syns.Add(ref);
      last->first_ts = std::min(last->first_ts, packet.ts_ns);
    } else {
      TcpConnection c = NewConnection(packet.ts_ns);
      c.has_syn = true;
      c.initiator_side = side;
      c.isn = seq;
      c.syns.Add(ref);
      PushConnection(flow, std::move(c));
      IndexRemote(key, Transport::kTcp, packet.dst);
    }
  } else if (flow.tcp.empty()) {
    PushConnection(flow, NewConnection(packet.ts_ns));
  }

  TcpConnection& c = flow.tcp.back();
  const TimeNs previous_ts = c.last_ts;
  c.last_ts = std::max(c.last_ts, packet.ts_ns);
  TcpDirection& d = c.dir[side];
  TcpDirection& other = c.dir[1 - side];
  d.last_ts = std::max(d.last_ts, packet.ts_ns);

  if (seg.has(kTcpSyn)) {
    if (seg.has(kTcpAck)) {
      if (!c.syn_ack) c.syn_ack = ref;
      ++c.syn_ack_count;
    }
    if (!d.has_next) {
      d.has_next = true;
      d.next = seq + 1;  // the SYN occupies one sequence number
    }
  } else if (seg.has(kTcpAck) && c.syn_ack && !c.handshake_ack && side == c.initiator_side) {
    c.handshake_ack = ref;
  }

  if (seg.has(kTcpAck)) {
    const TcpSeq ack(seg.ack);
    if (!d.has_ack || ack > d.highest_ack) {
      d.has_ack = true;
      d.highest_ack = ack;
    }
    Acknowledge(other, ack, packet.ts_ns);
  }

  if (seg.has(kTcpRst)) {
    if (!d.rst) {
      d.rst = ref;
      d.quiet_before_rst_ns = std::max<TimeNs>(0, packet.ts_ns - previous_ts);
      if (seg.has(kTcpAck)) d.rst_ack = seg.ack;
    }
    return;
  }

  if (seg.has(kTcpAck) && !seg.has(kTcpSyn)) {
    // The probe is judged by the window the other side advertised before it; this segment's
    // own window is this side's advertisement.
    if (seg.payload_len == 0 && !seg.has(kTcpFin)) {
      other.zero_window.MaybeProbe(seq, other.has_ack, other.highest_ack, ref);
    }
    d.zero_window.Advertised(seg.window, ref);
  }

  if (seg.payload_len > 0 && !seg.has(kTcpSyn)) {
    const uint32_t retrans_before = d.retransmits.total();
    TrackData(d, other, seq, seg.payload_len, ref);
    const bool repeated = d.retransmits.total() != retrans_before;
    d.last_data_ts = std::max(d.last_data_ts, packet.ts_ns);
    if (packet.tls && !repeated) {
      if (packet.tls->client_hello && !c.client_hello) {
        c.client_hello = ref;
        c.client_hello_side = side;
        c.sni = packet.tls->client_hello->sni;
      }
      if (packet.tls->alert && c.alerts.size() < kMaxAlertsPerConnection) {
        c.alerts.push_back({ref, side, packet.tls->alert->level, packet.tls->alert->description,
                            other.last_data_ts});
      }
    }
  }
  if (seg.has(kTcpFin) && !d.fin) {
    d.fin = ref;
    d.quiet_before_fin_ns = std::max<TimeNs>(0, packet.ts_ns - previous_ts);
  }
  if (packet.dns) AddDns(flow, side, packet);
}

void FlowTable::AddUdp(const Packet& packet) {
  const NormalizedFlowKey key = NormalizedFlowKey::From(Transport::kUdp, packet.src, packet.dst);
  const int side = key.SideOf(packet.src);
  const bool is_new = Find(key) == nullptr;
  FlowRecord& flow = Get(key, packet.ts_ns);
  if (is_new) IndexRemote(key, Transport::kUdp, packet.dst);
  UdpState& u = flow.udp;
  ++u.datagrams[side];
  u.bytes[side] += packet.payload_len;
  u.last_ts[side] = std::max(u.last_ts[side], packet.ts_ns);
  u.unanswered[side].Add({packet.id, packet.ts_ns});
  u.unanswered[1 - side].Clear();
  if (packet.dns) AddDns(flow, side, packet);
}

void FlowTable::AddDns(FlowRecord& flow, int side, const Packet& packet) {
  const DnsMessage& m = *packet.dns;
  const PacketRef ref{packet.id, packet.ts_ns};
  if (!m.is_response) {
    for (DnsQueryRecord& q : flow.dns) {
      if (q.id == m.id && q.query_side == side && !q.response) {
        q.queries.Add(ref);  // the resolver asked again: same id, no answer yet
        return;
      }
    }
    DnsQueryRecord q;
    q.id = m.id;
    q.name = m.qname;
    q.qtype = m.qtype;
    q.query_side = side;
    q.queries.Add(ref);
    flow.dns.push_back(std::move(q));
  } else {
    // RFC 1035 7.3: a response matches a query by ID (and by the question it repeats).
    for (auto it = flow.dns.rbegin(); it != flow.dns.rend(); ++it) {
      if (it->id == m.id && it->query_side == 1 - side && !it->response) {
        it->response = ref;
        it->rcode = m.rcode;
        it->truncated = m.truncated;
        if (it->name.empty()) it->name = m.qname;
        if (it->qtype == 0) it->qtype = m.qtype;
        return;
      }
    }
    DnsQueryRecord q;  // an answer whose query was not captured
    q.id = m.id;
    q.name = m.qname;
    q.qtype = m.qtype;
    q.query_side = 1 - side;
    q.response = ref;
    q.rcode = m.rcode;
    q.truncated = m.truncated;
    flow.dns.push_back(std::move(q));
  }
  if (flow.dns.size() > kMaxDnsQueriesPerFlow) flow.dns.erase(flow.dns.begin());
}

void FlowTable::AddIcmp(const Packet& packet) {
  const IcmpError& e = *packet.icmp_error;
  const FlowKey& orig = e.original;
  if (orig.transport != Transport::kTcp && orig.transport != Transport::kUdp) return;
  const NormalizedFlowKey key = NormalizedFlowKey::From(orig);
  const bool is_new = Find(key) == nullptr;
  FlowRecord& flow = Get(key, packet.ts_ns);
  // RFC 1122 3.2.2: an ICMP error quotes the IP header and at least 8 bytes of the datagram that
  // caused it, i.e. the ports (and for TCP the sequence number): enough to name the flow.
  if (is_new) IndexRemote(key, orig.transport, orig.remote);
  const IcmpRecord rec{{packet.id, packet.ts_ns}, e};
  auto push = [&](std::vector<IcmpRecord>& list) {
    if (list.size() >= kMaxIcmpPerFlow) list.erase(list.begin());
    list.push_back(rec);
  };
  if (orig.transport == Transport::kUdp) {
    push(flow.udp.icmp);
    return;
  }
  TcpConnection* target = nullptr;
  if (e.original_tcp_seq) {
    const TcpSeq s(*e.original_tcp_seq);
    for (auto it = flow.tcp.rbegin(); it != flow.tcp.rend() && !target; ++it) {
      const TcpDirection& d = it->dir[std::max(0, key.SideOf(orig.local))];
      if ((it->has_syn && it->isn == s) || (d.has_next && s < d.next && it->isn <= s)) {
        target = &*it;
      }
    }
  }
  if (!target && !flow.tcp.empty() && packet.ts_ns - flow.tcp.back().last_ts <= kReorderWindowNs) {
    target = &flow.tcp.back();
  }
  if (!target) {
    // The quoted SYN never reached the capture (rejected by this host before the interface):
    // the error alone starts the attempt.
    TcpConnection c = NewConnection(packet.ts_ns);
    c.initiator_side = key.SideOf(orig.local);
    PushConnection(flow, std::move(c));
    target = &flow.tcp.back();
  }
  target->last_ts = std::max(target->last_ts, packet.ts_ns);
  push(target->icmp);
}

void FlowTable::ForEach(const std::function<void(FlowRecord&)>& visit) {
  for (auto& [key, flow] : flows_) visit(flow);
}

size_t FlowTable::Expire(TimeNs closed_before, TimeNs idle_before,
                         const std::function<FlowUse(const NormalizedFlowKey&)>& use) {
  size_t n = 0;
  for (auto it = flows_.begin(); it != flows_.end();) {
    const FlowRecord& f = it->second;
    bool stale = false;
    switch (use(f.key)) {
      case FlowUse::kOpenSocket:
        break;
      case FlowUse::kClosedSocket:
        stale = f.last_ts < closed_before;
        break;
      case FlowUse::kUnknown:
        stale = f.last_ts < idle_before || (f.Closed() && f.last_ts < closed_before);
        break;
    }
    if (stale) {
      flows_.erase(it++);
      ++n;
    } else {
      ++it;
    }
  }
  if (n > 0) {
    for (auto it = by_remote_.begin(); it != by_remote_.end();) {
      std::deque<NormalizedFlowKey>& keys = it->second;
      keys.erase(std::remove_if(keys.begin(), keys.end(),
                                [&](const NormalizedFlowKey& k) { return !flows_.contains(k); }),
                 keys.end());
      if (keys.empty()) {
        by_remote_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  return n;
}

}  // namespace netcorr::correlate
