// Fuzzes the answers of the test world's DNS server (examples/dns_test_answer.h): any bytes, in
// every mode, over UDP and TCP, must give either no answer or one that holds the header and at
// most the question the query carried plus one address record.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>

#include "examples/dns_test_answer.h"

namespace dns_test = netcorr::examples::dns_test;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr dns_test::Mode kModes[] = {dns_test::Mode::kByName,   dns_test::Mode::kAnswer,
                                       dns_test::Mode::kNxDomain, dns_test::Mode::kRefused,
                                       dns_test::Mode::kServFail, dns_test::Mode::kTruncate,
                                       dns_test::Mode::kNoAaaa,   dns_test::Mode::kDrop};
  constexpr size_t kAddressRecord = 12 + 16;  // pointer, type, class, TTL, length, IPv6 address
  for (dns_test::Mode mode : kModes) {
    dns_test::Config c;
    c.mode = mode;
    inet_pton(AF_INET, "10.71.2.2", &c.a);
    inet_pton(AF_INET6, "fd71:2::2", &c.aaaa);
    for (bool tcp : {false, true}) {
      const auto reply = dns_test::Reply(c, data, size, tcp);
      if (!reply) continue;
      if (reply->size() < dns_test::kHeaderLen || reply->size() > size + kAddressRecord) {
        __builtin_trap();
      }
      if ((*reply)[0] != data[0] || (*reply)[1] != data[1]) __builtin_trap();  // the query's id
    }
  }
  return 0;
}
