#include "src/cli/options.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace netcorr::cli {

namespace {

// Splits "--flag=value" and takes the value from the next argument otherwise.
class ArgCursor {
 public:
  explicit ArgCursor(const std::vector<std::string>& argv) : argv_(argv) {}
  bool done() const { return i_ >= argv_.size(); }
  const std::string& peek() const { return argv_[i_]; }
  std::string next() { return argv_[i_++]; }
  absl::StatusOr<std::string> value_for(absl::string_view flag) {
    if (done()) return absl::InvalidArgumentError(absl::StrCat("option ", flag, " needs a value"));
    return next();
  }
  std::vector<std::string> rest() {
    std::vector<std::string> r(argv_.begin() + i_, argv_.end());
    i_ = argv_.size();
    return r;
  }

 private:
  const std::vector<std::string>& argv_;
  size_t i_ = 1;
};

absl::StatusOr<int> ParsePid(absl::string_view text) {
  int pid = 0;
  if (!absl::SimpleAtoi(text, &pid) || pid <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("-p needs a process id, got '", text, "'"));
  }
  return pid;
}

}  // namespace

absl::StatusOr<std::string> NetnsPathFromArgument(const std::string& name_or_path) {
  if (name_or_path.find('/') != std::string::npos) return name_or_path;
  // What `ip netns add NAME` accepts: a file name directly under /run/netns.
  if (name_or_path.empty() || name_or_path == "." || name_or_path == "..") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--netns needs a namespace name (ip netns list) or a path, got '", name_or_path, "'"));
  }
  return absl::StrCat("/run/netns/", name_or_path);
}

absl::StatusOr<Options> ParseOptions(const std::vector<std::string>& argv) {
  Options o;
  ArgCursor args(argv);
  bool analyze = false;
  if (!args.done() && args.peek() == "analyze") {
    analyze = true;
    args.next();
  }
  while (!args.done()) {
    std::string arg = args.next();
    std::string inline_value;
    bool has_inline = false;
    if (arg.rfind("--", 0) == 0) {
      if (arg == "--") {
        o.command = args.rest();
        break;
      }
      if (auto eq = arg.find('='); eq != std::string::npos) {
        inline_value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        has_inline = true;
      }
    } else if (arg.size() > 2 && arg[0] == '-' &&
               std::string("pousiwCW").find(arg[1]) != std::string::npos) {
      // -p4242, -oFILE: value glued to a short option, as getopt allows.
      inline_value = arg.substr(2);
      arg = arg.substr(0, 2);
      has_inline = true;
    } else if (arg.empty() || arg[0] != '-') {
      // The first non-option starts the command, as with strace.
      o.command.push_back(arg);
      auto rest = args.rest();
      o.command.insert(o.command.end(), rest.begin(), rest.end());
      break;
    }
    auto value = [&]() -> absl::StatusOr<std::string> {
      if (has_inline) return inline_value;
      return args.value_for(arg);
    };
    if (arg == "-h" || arg == "--help") {
      o.mode = Mode::kHelp;
      return o;
    } else if (arg == "--version" || arg == "-V") {
      o.mode = Mode::kVersion;
      return o;
    } else if (arg == "-p") {
      auto v = value();
      if (!v.ok()) return v.status();
      auto pid = ParsePid(*v);
      if (!pid.ok()) return pid.status();
      o.pids.push_back(*pid);
    } else if (arg == "-f") {
      o.follow_forks = true;
    } else if (arg == "--no-follow") {
      o.follow_forks = false;
    } else if (arg == "--no-capture") {
      o.capture = false;
    } else if (arg == "--no-rw") {
      o.trace_read_write = false;
    } else if (arg == "--json") {
      o.json = true;
    } else if (arg == "--json-lines") {
      o.json_lines = true;
    } else if (arg == "--no-status") {
      o.status_line = false;
    } else if (arg == "--all") {
      o.all = true;
    } else if (arg == "--no-color") {
      o.color = false;
    } else if (arg == "-o" || arg == "-w" || arg == "-i" || arg == "-u" || arg == "-s" ||
               arg == "-C" || arg == "-W" || arg == "--duration" || arg == "--strace" ||
               arg == "--pcap" || arg == "--peer-pcap" || arg == "--record" || arg == "--netns" ||
               arg == "--html") {
      auto v = value();
      if (!v.ok()) return v.status();
      if (arg == "-o") o.output_path = *v;
      if (arg == "-w") o.pcap_path = *v;
      if (arg == "--html") o.html_path = *v;
      if (arg == "-i") o.interfaces.push_back(*v);
      if (arg == "-u") o.user = *v;
      if (arg == "--strace") o.strace_paths.push_back(*v);
      if (arg == "--pcap") o.analyze_pcap_path = *v;
      if (arg == "--peer-pcap") o.peer_pcap_paths.push_back(*v);
      if (arg == "--record") o.record_path = *v;
      if (arg == "--netns") {
        auto path = NetnsPathFromArgument(*v);
        if (!path.ok()) return path.status();
        o.netns_path = *path;
      }
      if (arg == "-s" &&
          (!absl::SimpleAtoi(*v, &o.snaplen) || o.snaplen < 0 || o.snaplen > 262144)) {
        return absl::InvalidArgumentError(
            absl::StrCat("-s needs a snap length 0..262144, got '", *v, "'"));
      }
      if (arg == "-C" && (!absl::SimpleAtoi(*v, &o.file_size_mb) || o.file_size_mb == 0)) {
        return absl::InvalidArgumentError(
            absl::StrCat("-C needs a file size in millions of bytes (1 or more), got '", *v, "'"));
      }
      if (arg == "-W" && (!absl::SimpleAtoi(*v, &o.file_count) || o.file_count <= 0)) {
        return absl::InvalidArgumentError(
            absl::StrCat("-W needs a number of files (1 or more), got '", *v, "'"));
      }
      if (arg == "--duration" && (!absl::SimpleAtod(*v, &o.duration_s) || o.duration_s <= 0)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--duration needs a positive number of seconds, got '", *v, "'"));
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown option '", arg, "' (see -h)"));
    }
  }

  if (o.file_size_mb > 0 && o.pcap_path.empty()) {
    return absl::InvalidArgumentError("-C goes with -w FILE: the size of each packet file");
  }
  if (o.file_count > 0 && o.file_size_mb == 0) {
    return absl::InvalidArgumentError("-W goes with -C: how many -C files to keep");
  }
  if (o.json && o.json_lines) {
    return absl::InvalidArgumentError(
        "give --json (one document at the end) or --json-lines (a line per finding), not both");
  }
  if (!o.capture && !o.html_path.empty()) {
    return absl::InvalidArgumentError(
        "--html draws the packets behind each finding: it needs the capture (drop --no-capture)");
  }
  if (analyze) {
    if (o.strace_paths.empty() == o.record_path.empty()) {
      return absl::InvalidArgumentError(
          "analyze needs --strace FILE (and, for packet evidence, --pcap FILE), or --record "
          "FILE (a live session's --json document), not both");
    }
    if (!o.command.empty() || !o.pids.empty() || !o.netns_path.empty()) {
      return absl::InvalidArgumentError("analyze takes files, not a command, -p or --netns");
    }
    if (!o.peer_pcap_paths.empty() && o.analyze_pcap_path.empty() && o.record_path.empty()) {
      return absl::InvalidArgumentError(
          "--peer-pcap needs --pcap: the peer capture is compared with ours");
    }
    o.mode = Mode::kAnalyze;
    return o;
  }
  if (!o.strace_paths.empty() || !o.analyze_pcap_path.empty() || !o.peer_pcap_paths.empty() ||
      !o.record_path.empty()) {
    return absl::InvalidArgumentError(
        "--strace, --record, --pcap and --peer-pcap go with 'netcorr analyze'");
  }
  if (!o.pids.empty() && !o.command.empty()) {
    return absl::InvalidArgumentError("give either -p PID or a command, not both");
  }
  if (!o.pids.empty() && !o.netns_path.empty()) {
    return absl::InvalidArgumentError(
        "--netns goes with a command: -p PID is traced and captured in PID's own namespace");
  }
  if (!o.pids.empty()) {
    o.mode = Mode::kAttach;
  } else if (!o.command.empty()) {
    o.mode = Mode::kLaunch;
  } else {
    return absl::InvalidArgumentError("nothing to trace: give a command after --, or -p PID");
  }
  return o;
}

std::string UsageText() {
  return R"(usage: netcorr [OPTIONS] -- COMMAND [ARGS...]    launch COMMAND and trace it
       netcorr [OPTIONS] -p PID [-p PID...]         attach to running processes
       netcorr analyze --strace FILE [--pcap FILE [--peer-pcap FILE...]]
                                                    explain an existing strace log + capture
       netcorr analyze --record F.json [--pcap F.pcapng] [--peer-pcap FILE...]
                                                    decide a live session's record again

netcorr records the results of a program's socket calls (ptrace) and the packets of its
flows (libpcap) on one clock, and explains each failing or hanging call with the packets
behind it.

options:
  -p PID          attach to PID (all its threads); repeatable. Ctrl-C detaches.
  -f              follow forks and threads (the default)
  --no-follow     trace only the first process (its threads, not its children)
  -u USER         run COMMAND as USER (under sudo: the invoking user by default)
  -o FILE         write the report to FILE instead of standard error
  -w FILE         write the captured packets to FILE (pcapng, evidence packets commented)
  -C MB           with -w: start a new file (FILE1, FILE2...) once one holds MB million bytes
  -W N            with -C: keep the newest N files (FILE0..FILE{N-1}, reused in turn)
  -i IFACE        capture on IFACE (repeatable; default: any)
  -s SNAPLEN      bytes kept of each packet (default keeps headers and handshakes)
  --netns NS      run COMMAND in network namespace NS (a name: /run/netns/NS, as with
                  ip netns exec; or a path such as /proc/PID/ns/net) and capture there
  --no-capture    trace syscalls only, print them like strace -yy
  --no-rw         do not stop at read/write/readv/writev: much faster for programs that read
                  many files, but errors that only surface in read() (ECONNRESET) are missed
  --json          write the report as JSON (schema: docs/json.md, /usr/share/doc/netcorr)
  --json-lines    write each finding as one JSON line as soon as it is decided, then a
                  summary line at the end (tail -f | jq; schema: docs/json.md)
  --no-status     no progress line on the terminal (it is never written to a file or pipe)
  --html FILE     also write FILE: one self-contained HTML page with each finding's story
                  and a sequence diagram of its packets (opens from file://, fetches nothing)
  --all           show every call and packet in the timeline, not only around findings
  --no-color      no colour even on a terminal
  --duration S    stop tracing after S seconds (launch: the program is killed; attach: detached)
  -h, --help      this text
  -V, --version   netcorr's version

analyze options (with -o, -w, --json, --html, --all, --no-color):
  --strace FILE   the strace -f -yy -ttt -T log; repeatable, one per file of strace -ff
  --pcap FILE     the capture recorded alongside it (tcpdump -w: pcap or pcapng); without
                  it every failing or hanging call is reported from the syscalls alone
                  (unexplained, based_on syscalls_only: no packet evidence)
  --record FILE   a live session's --json document, read instead of --strace (its calls);
                  --pcap defaults to the session's -w file that the document names
  --peer-pcap FILE  a capture taken on another host the packets pass (the server, a router,
                  a load balancer; repeatable): its clock is aligned to ours from the packets
                  both hold, and each finding says where its packets were lost or who really
                  sent the RST / ICMP (path verdict; docs/analyze.md)

While tracing, SIGUSR1 writes the report so far (to -o FILE, replacing it, or to standard
error) and tracing goes on; SIGINT, SIGTERM or SIGHUP stop it (attached processes keep running).

netcorr's exit status is the traced program's (128+N if a signal N ended it); 1 when netcorr
itself could not trace, 2 for a bad command line. Without root see man netcorr, PRIVILEGES.
)";
}

}  // namespace netcorr::cli
