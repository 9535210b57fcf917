#include "correlate/port_rules.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace netcorr::correlate {

uint32_t LocalPortsTowards(FlowTable& flows, const Endpoint& remote) {
  absl::flat_hash_set<uint16_t> ports;
  for (const FlowRecord* r : flows.FindByRemote(Transport::kTcp, remote)) {
    const int remote_side = r->key.SideOf(remote);
    if (remote_side < 0) continue;
    ports.insert((remote_side == 0 ? r->key.b : r->key.a).port);
  }
  return static_cast<uint32_t>(ports.size());
}

NoLocalPort DescribeNoLocalPort(const FlowKey& flow, uint32_t ports_in_use,
                                const RuleContext& ctx) {
  const std::string dst = flow.remote.ToString();
  const std::string held = absl::StrCat("the program holds ", ports_in_use,
                                        ports_in_use == 1 ? " local port" : " local ports",
                                        " towards ", dst, " (connections open or in TIME_WAIT)");
  const std::string ss = absl::StrCat("`ss -tan dst ", dst, "` lists them");
  const std::optional<PortRange>& range = ctx.options.local_port_range;
  if (!range) {
    return NoLocalPort{
        "no usable local address or port",
        absl::StrCat(held,
                     "; this host's ephemeral port range (net.ipv4.ip_local_port_range) "
                     "is unknown here: if it is not much larger, the ports are exhausted — "
                     "widen it, reuse connections or close them sooner (",
                     ss, "); else the socket was bound to an address this host lacks")};
  }
  const std::string range_text =
      absl::StrCat("net.ipv4.ip_local_port_range is ", range->ToString(), " (", range->size(),
                   range->size() == 1 ? " port)" : " ports)");
  if (ports_in_use >= range->size()) {
    return NoLocalPort{
        absl::StrCat("the ephemeral ports towards ", dst, " are exhausted"),
        absl::StrCat(held, " and ", range_text,
                     ": widen the range (sysctl net.ipv4.ip_local_port_range), reuse connections "
                     "or close them sooner; ",
                     ss)};
  }
  return NoLocalPort{"no usable local address or port",
                     absl::StrCat(held, " and ", range_text, ": other programs may hold the rest (",
                                  ss, "), or the socket was bound to an address this host lacks")};
}

}  // namespace netcorr::correlate
