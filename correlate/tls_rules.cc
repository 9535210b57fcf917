#include "correlate/tls_rules.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "correlate/finding_text.h"
#include "src/model/protocol_names.h"

namespace netcorr::correlate {

namespace {

// RFC 8446 6.2 / RFC 5246 7.2.2: the alerts a client sends when it rejects the server's
// certificate, and which side has to change something.
bool RejectsCertificate(uint8_t desc) { return (desc >= 42 && desc <= 46) || desc == 48; }

std::optional<std::string> OwnCertificateHint(uint8_t desc, const std::string& name) {
  switch (desc) {
    case 48:  // unknown_ca
      return absl::StrCat(
          "this program does not trust the issuer of the certificate of ", name,
          " (a self-signed or private CA certificate, or a chain missing its intermediates): add "
          "the issuing CA to this program's trust store (curl --cacert, SSL_CERT_FILE, the system "
          "CA bundle), or the server must send its full chain");
    case 45:  // certificate_expired
      return absl::StrCat("the certificate of ", name,
                          " has expired or is not yet valid (or this host's clock is wrong): the "
                          "server must renew its certificate");
    case 44:  // certificate_revoked
      return absl::StrCat("the certificate of ", name,
                          " was revoked by its issuer: the server needs a new certificate");
    case 42:  // bad_certificate
      return absl::StrCat("the certificate of ", name,
                          " is malformed or its signature does not verify: the server must fix "
                          "its certificate chain");
    case 43:  // unsupported_certificate
      return absl::StrCat("the certificate of ", name,
                          " has a key type or usage this program does not accept: the server "
                          "needs a certificate this client supports (or the client an update)");
    case 46:  // certificate_unknown
      return absl::StrCat("this program rejected the certificate of ", name,
                          " for another reason (often a name that does not match the host name "
                          "it connected to): compare the certificate's names with that host name");
    default:
      return std::nullopt;
  }
}

std::string Hint(uint8_t desc, bool from_peer, const std::string& server, const std::string& sni) {
  const std::string name = sni.empty() ? server : absl::StrCat("'", sni, "'");
  if (!from_peer) {
    if (std::optional<std::string> h = OwnCertificateHint(desc, name)) return *h;
  }
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
      return absl::StrCat(server,
                          " rejected the client certificate: check it and the CA the server "
                          "trusts");
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
  const std::string after_hello =
      conn.client_hello
          ? absl::StrCat(" after the Client Hello",
                         t.sni.empty() ? " (no SNI)" : absl::StrCat(" for SNI '", t.sni, "'"))
          : "";
  const std::string server = t.sni.empty() ? flow.remote.ToString() : t.sni;
  if (from_peer) {
    f.summary = absl::StrCat(CallName(call), " on ", flow.ToString(), ": the server sent TLS ",
                             level, " alert ", t.description_name, after_hello);
  } else if (RejectsCertificate(alert.description)) {
    // The client's certificate check failed: it says so with the alert and closes
    // (RFC 8446 4.4.2.4, RFC 5246 7.4.2).
    f.summary = absl::StrCat(CallName(call), " on ", flow.ToString(),
                             ": this program rejected the certificate of ", server, " (alert ",
                             t.description_name, ")");
  } else {
    f.summary = absl::StrCat(CallName(call), " on ", flow.ToString(), ": this program sent TLS ",
                             level, " alert ", t.description_name, " to ", server, after_hello);
  }
  // RFC 8446 6.1 / RFC 5246 7.2.2: user_canceled (90) and no_renegotiation (100) are the alerts
  // that are not errors (a TLS 1.3 receiver treats every other one as fatal, whatever its
  // level): this program sending one says nothing failed.
  if (!from_peer && (alert.description == 90 || alert.description == 100)) {
    f.severity = FindingSeverity::kInfo;
  }
  f.hint = Hint(alert.description, from_peer, flow.remote.ToString(), conn.sni);
  f.tls = std::move(t);
  if (conn.client_hello) AddEvidence(f, *conn.client_hello);
  AddEvidence(f, alert.ref);
  FinishEvidence(f);
  return f;
}

}  // namespace netcorr::correlate
