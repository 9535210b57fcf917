#include "correlate/tls_rules.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "correlate/finding_text.h"
#include "src/model/protocol_names.h"

namespace netcorr::correlate {

namespace {

std::string Hint(uint8_t desc, bool from_peer, const std::string& server, const std::string& sni) {
  const std::string name = sni.empty() ? server : absl::StrCat("'", sni, "'");
  switch (desc) {
    case 40:
    case 70:
    case 71:
      return absl::StrCat("client and ", server,
                          " share no TLS version or cipher suite: compare the versions/ciphers "
                          "both sides allow (`openssl s_client -connect ",
                          server, "`)");
    case 112:
      return absl::StrCat(server, " has no certificate for the server name ", name,
                          ": check the host name the program connects to (SNI)");
    case 116:
    case 41:
      return absl::StrCat(server, " requires a client certificate: configure one in the program");
    case 120:
      return absl::StrCat("no common application protocol (ALPN) with ", server,
                          ": check the protocols (h2, http/1.1) both sides offer");
    case 42:
    case 43:
    case 44:
    case 45:
    case 46:
    case 48:
      return from_peer ? absl::StrCat(server,
                                      " rejected the client certificate: check it and the "
                                      "CA the server trusts")
                       : absl::StrCat("the program rejected the certificate of ", name,
                                      " (unknown CA, expired or wrong name): check the server's "
                                      "certificate chain and the program's CA bundle");
    default:
      break;
  }
  return from_peer ? absl::StrCat("check the TLS configuration and logs of ", server)
                   : "check the program's TLS configuration (CA bundle, versions, host name)";
}

}  // namespace

Finding TlsAlertFinding(const SyscallEvent& call, const FlowKey& flow, const TcpConnection& conn,
                        const TlsAlertRecord& alert, bool from_peer) {
  Finding f = NewFinding(FindingKind::kTlsAlert, call, flow, call.error);
  TlsDetail t;
  t.level = alert.level;
  t.description = alert.description;
  t.description_name = TlsAlertName(alert.description);
  t.sni = conn.sni;
  t.from_peer = from_peer;
  const std::string level = alert.level == 2 ? "fatal" : alert.level == 1 ? "warning" : "";
  // RFC 8446 6.2: "Upon transmission or receipt of a fatal alert message, both parties MUST
  // immediately close the connection" — the handshake is over; the alert says why.
  f.summary = absl::StrCat(
      CallName(call), " on ", flow.ToString(), ": ",
      from_peer ? absl::StrCat("the server sent TLS ", level, " alert ", t.description_name)
                : absl::StrCat("this program sent TLS ", level, " alert ", t.description_name,
                               " to the server"),
      conn.client_hello
          ? absl::StrCat(" after the Client Hello",
                         t.sni.empty() ? " (no SNI)" : absl::StrCat(" for SNI '", t.sni, "'"))
          : "");
  f.hint = Hint(alert.description, from_peer, flow.remote.ToString(), conn.sni);
  f.tls = std::move(t);
  if (conn.client_hello) AddEvidence(f, *conn.client_hello);
  AddEvidence(f, alert.ref);
  FinishEvidence(f);
  return f;
}

}  // namespace netcorr::correlate
