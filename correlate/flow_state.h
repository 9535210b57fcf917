#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "correlate/dns_causes.h"
#include "correlate/flow_key.h"
#include "correlate/packet_ref.h"
#include "correlate/tcp_seq.h"
#include "correlate/zero_window_track.h"
#include "src/model/endpoint.h"
#include "src/model/packet.h"
#include "src/model/time.h"

namespace netcorr::correlate {

struct IcmpRecord {
  PacketRef ref;
  IcmpError error;
};

struct TlsAlertRecord {
  PacketRef ref;
  int from_side = -1;
  uint8_t level = 0;
  uint8_t description = 0;
  // When the other side's last data segment before the alert was captured: an alert that
  // answers it (a certificate rejected) was written by a call that began after it arrived.
  TimeNs other_data_before_ns = 0;
};

// One direction of a TCP connection: what one side sent.
struct TcpDirection {
  uint64_t bytes = 0;  // payload bytes sent for the first time
  uint32_t data_segments = 0;
  bool has_next = false;
  TcpSeq next;  // one past the highest sequence number sent (SND.NXT as the wire shows it)
  bool has_ack = false;
  TcpSeq highest_ack;   // highest ACK this side sent (what it has received from the other)
  RefList retransmits;  // data segments whose range had been sent before
  uint32_t largest_retransmitted = 0;
  uint32_t largest_acked = 0;  // largest payload the other side acknowledged
  std::optional<PacketRef> fin;
  std::optional<PacketRef> rst;
  std::optional<uint32_t> rst_ack;  // the RST's ACK field when it carried one
  TimeNs quiet_before_rst_ns = 0;   // time since the connection's previous packet
  TimeNs quiet_before_fin_ns = 0;
  TimeNs last_ts = 0;  // last packet from this side
  TimeNs last_data_ts = 0;  // last segment with payload from this side
  // Segments not yet acknowledged: [seq, seq+len), first sent at first_ts. Bounded.
  struct InFlight {
    TcpSeq seq;
    uint32_t len = 0;
    TimeNs first_ts = 0;
    bool retransmitted = false;
  };
  std::deque<InFlight> in_flight;
  // When the other side's ACK last covered new data of this side: a stall began after it.
  TimeNs acked_progress_ts = 0;
  // The zero windows this side advertised (it stopped taking data), with the other side's
  // window probes into them.
  ZeroWindowTrack zero_window;
};

// One TCP connection (or connection attempt) on a 5-tuple. A 5-tuple reused later (a new SYN
// with a new ISN) starts a new TcpConnection, so evidence never leaks between the two.
struct TcpConnection {
  int initiator_side = -1;  // side that sent the SYN; -1 if no SYN was seen
  bool has_syn = false;
  TcpSeq isn;
  RefList syns;  // the SYN and its retransmissions (same ISN)
  std::optional<PacketRef> syn_ack;
  uint32_t syn_ack_count = 0;
  std::optional<PacketRef> handshake_ack;
  TcpDirection dir[2];  // indexed by NormalizedFlowKey side
  std::vector<IcmpRecord> icmp;
  std::optional<PacketRef> client_hello;
  int client_hello_side = -1;
  std::string sni;
  std::vector<TlsAlertRecord> alerts;
  TimeNs first_ts = 0;
  TimeNs last_ts = 0;
  // The connect call this attempt was matched to (0: none yet), whether or not that connect
  // needed a finding: two connects never share one attempt. Which packets already explain a
  // finding is another question, answered by FlowRecord::Explained.
  uint64_t claimed_by = 0;

  bool closed() const { return dir[0].rst || dir[1].rst || (dir[0].fin && dir[1].fin); }
  // RFC 793, SYN-SENT state, "If the RST bit is set: If the ACK was acceptable then signal the
  // user 'error: connection reset', drop the segment, enter CLOSED". Acceptable: it acknowledges
  // our SYN (SEG.ACK == ISS+1). A RST without ACK is ignored in SYN-SENT, so it cannot be what
  // refused the connect.
  bool RstRefusesSyn(int from_side) const;
};

struct UdpState {
  uint64_t datagrams[2] = {0, 0};
  uint64_t bytes[2] = {0, 0};
  TimeNs last_ts[2] = {0, 0};
  // Datagrams a side sent since the other side's last datagram: requests still unanswered.
  RefList unanswered[2];
  std::vector<IcmpRecord> icmp;
};

struct DnsQueryRecord {
  uint16_t id = 0;
  std::string name;
  uint16_t qtype = 0;
  int query_side = -1;
  RefList queries;
  std::optional<PacketRef> response;
  uint8_t rcode = 0;
  bool truncated = false;  // the response had TC set
};

// Everything known about one 5-tuple.
struct FlowRecord {
  NormalizedFlowKey key;
  std::vector<TcpConnection> tcp;  // oldest first; bounded
  UdpState udp;
  std::vector<DnsQueryRecord> dns;  // bounded, oldest evicted
  TimeNs first_ts = 0;
  TimeNs last_ts = 0;

  bool Closed() const;
  // ICMP errors about this flow, whatever the transport.
  std::vector<const IcmpRecord*> IcmpBetween(TimeNs from, TimeNs to) const;

  // Whether a packet of this flow already explains a finding: an ICMP error, an alert, a DNS
  // answer, a RST explains one failure, not every later call that could read it. Kept with the
  // record, so it is forgotten with the flow.
  bool Explained(uint64_t packet_id) const { return explained_.contains(packet_id); }
  // The cause (Finding::cause_id) a packet explains, 0 if none.
  uint64_t ExplainingCause(uint64_t packet_id) const {
    auto it = explained_.find(packet_id);
    return it == explained_.end() ? 0 : it->second;
  }
  // The one way packets become explained: a finding's evidence, once that finding is reported.
  void MarkExplained(const std::vector<uint64_t>& evidence, uint64_t cause_id) {
    for (uint64_t id : evidence) explained_.try_emplace(id, cause_id);
  }

 private:
  absl::flat_hash_map<uint64_t, uint64_t> explained_;  // packet id -> cause id
};

// Flow state for every 5-tuple the capture showed, built packet by packet.
class FlowTable {
 public:
  // Bounds on per-flow memory.
  static constexpr size_t kMaxConnectionsPerFlow = 4;
  static constexpr size_t kMaxIcmpPerFlow = 16;
  static constexpr size_t kMaxAlertsPerConnection = 8;
  static constexpr size_t kMaxDnsQueriesPerFlow = 32;
  static constexpr size_t kMaxInFlight = 256;
  static constexpr size_t kMaxFlowsPerRemote = 256;
  // A SYN stamped within this of a connection that saw only non-SYN packets (e.g. the RST whose
  // capture record came first) belongs to that connection.
  static constexpr TimeNs kReorderWindowNs = 1'000'000'000;

  void Add(const Packet& packet);

  const FlowRecord* Find(const NormalizedFlowKey& key) const;
  FlowRecord* FindMutable(const NormalizedFlowKey& key);
  // Flows recently opened towards `remote` (their first SYN or datagram went there), newest
  // first: for calls whose local end the tracer could not tell.
  std::vector<FlowRecord*> FindByRemote(Transport transport, const Endpoint& remote);

  // What the program's sockets say about a flow, for expiry.
  enum class FlowUse : uint8_t {
    kUnknown,       // no known socket: forget once closed on the wire, or idle
    kOpenSocket,    // an open socket of the program: keep, later calls may need it
    kClosedSocket,  // the program closed its socket: forget once quiet
  };
  // Forgets flows with no packet since closed_before that are closed (on the wire or by the
  // program), and unknown flows silent since idle_before. Returns how many were forgotten.
  size_t Expire(TimeNs closed_before, TimeNs idle_before,
                const std::function<FlowUse(const NormalizedFlowKey&)>& use);

  size_t size() const { return flows_.size(); }
  // Every flow, in no particular order: for the rules that start from the packets rather than
  // from a call (correlate/packets_only_findings.h).
  void ForEach(const std::function<void(FlowRecord&)>& visit);

  // The DNS causes already reported: kept beside the flows because one cause spans many flows
  // (a resolver's new socket per query), and lives as long as the session.
  DnsCauseMemory& dns_causes() { return dns_causes_; }

 private:
  FlowRecord& Get(const NormalizedFlowKey& key, TimeNs ts);
  void IndexRemote(const NormalizedFlowKey& key, Transport transport, const Endpoint& remote);
  void AddTcp(const Packet& packet);
  void AddUdp(const Packet& packet);
  void AddIcmp(const Packet& packet);
  void AddDns(FlowRecord& flow, int side, const Packet& packet);

  struct RemoteKey {
    Transport transport;
    Endpoint remote;
    friend bool operator==(const RemoteKey&, const RemoteKey&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const RemoteKey& k) {
      return H::combine(std::move(h), k.transport, k.remote);
    }
  };

  absl::flat_hash_map<NormalizedFlowKey, FlowRecord> flows_;
  absl::flat_hash_map<RemoteKey, std::deque<NormalizedFlowKey>> by_remote_;
  DnsCauseMemory dns_causes_;
};

}  // namespace netcorr::correlate
