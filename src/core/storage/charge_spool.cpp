#include "core/storage/charge_spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <sstream>

#include "core/domain/cost_model.h"
#include "core/domain/ledger_health.h"

namespace grants {
namespace {

constexpr char kHeader[] = "slurm-grants uncommitted charges 1";
// Lines of shrunk runs start with this; an encoded cluster name never does
// ('%' is always followed by two hex digits there).
constexpr char kShrunk[] = "%shrunk";
// Lines of runs whose time limit was lowered: the largest they had. Older
// spools have none; an older reader refuses a spool that has them (it moves
// the file aside and says so), which only a downgrade meets.
constexpr char kCap[] = "%cap";
// Lines of jobs whose cloud nodes were seen booting: the allocation's start.
// Older spools have none (an older reader refuses a spool that has them, as
// for %cap).
constexpr char kBoot[] = "%boot";

// Text fields are percent-encoded where they could break the line format.
std::string encode(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (c == '%' || c == '\t' || c == '\n' || c == '\r' || c < 0x20) {
            static const char hex[] = "0123456789ABCDEF";
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

bool decode(const std::string& s, std::string* out) {
    out->clear();
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            *out += s[i];
            continue;
        }
        if (i + 2 >= s.size()) return false;
        auto nibble = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        const int hi = nibble(s[i + 1]), lo = nibble(s[i + 2]);
        if (hi < 0 || lo < 0) return false;
        *out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return true;
}

bool parse_int(const std::string& s, long long* out) {
    if (s.empty()) return false;
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno != 0 || *end != '\0') return false;
    *out = v;
    return true;
}

std::string errno_text(const char* what, const std::string& path) {
    return std::string(what) + " " + path + ": " + std::strerror(errno);
}

bool write_all(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

void sync_directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

}  // namespace

bool write_charge_spool(const std::string& path, const ChargeSpool& spool, std::string* error) {
    const std::vector<ChargeRecord>& charges = spool.charges;
    if (spool.empty()) {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
            *error = errno_text("cannot remove", path);
            return false;
        }
        sync_directory_of(path);
        return true;
    }
    std::ostringstream text;
    text << kHeader << '\n';
    for (const ChargeRecord& c : charges) {
        text << encode(c.cluster) << '\t' << c.job_id << '\t' << c.run_start << '\t' << encode(c.award) << '\t'
             << encode(c.user) << '\t' << encode(c.account) << '\t' << encode(c.partition) << '\t' << c.chips << '\t'
             << c.seconds << '\t' << c.chip_hours << '\t' << c.usd << '\t' << c.recorded_at << '\n';
    }
    for (const ShrunkRun& r : spool.shrunk) {
        text << kShrunk << '\t' << r.job_id << '\t' << r.run_start << '\t' << r.chips << '\n';
    }
    for (const RunCap& r : spool.caps) {
        text << kCap << '\t' << r.job_id << '\t' << r.run_start << '\t' << std::min(r.seconds, kSpoolMaxSeconds)
             << '\n';
    }
    for (const BootRecord& b : spool.boots) {
        text << kBoot << '\t' << b.job_id << '\t' << b.allocated << '\n';
    }
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        *error = errno_text("cannot create", tmp);
        return false;
    }
    const bool ok = write_all(fd, text.str()) && ::fsync(fd) == 0;
    const int saved = errno;
    ::close(fd);
    if (!ok) {
        errno = saved;
        *error = errno_text("cannot write", tmp);
        ::unlink(tmp.c_str());
        return false;
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        *error = errno_text("cannot rename onto", path);
        ::unlink(tmp.c_str());
        return false;
    }
    sync_directory_of(path);
    return true;
}

namespace {

// The spool's text, read only when it can be trusted like the ledger:
// whoever could write it could credit awards (a negative charge) or hold
// them at will. true with *absent when there is no spool.
bool read_trusted(const std::string& path, const std::vector<uid_t>& owners, std::string* data, bool* absent,
                  std::string* error) {
    *absent = false;
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    struct stat ds {};
    if (::lstat(dir.c_str(), &ds) != 0 || !S_ISDIR(ds.st_mode)) {
        if (::lstat(path.c_str(), &ds) != 0 && errno == ENOENT) return *absent = true;
        *error = path + " is not used: its directory " + dir + " is not a directory";
        return false;
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return *absent = true;
        *error = errno == ELOOP ? path + " is not used: it is a symbolic link (never followed)"
                                : errno_text("cannot open", path);
        return false;
    }
    struct stat fs {};
    std::string untrusted;
    if (::fstat(fd, &fs) != 0) {
        untrusted = errno_text("cannot stat", path);
    } else if (!S_ISREG(fs.st_mode)) {
        untrusted = path + " is not used: it is not a regular file";
    } else if (!owned_safely(fs, owners)) {
        untrusted = path + " is not used: it is owned or writable by others than root and SlurmUser";
    } else if (!owned_safely(ds, owners)) {
        untrusted = path + " is not used: its directory " + dir + " is writable by others than root and SlurmUser";
    }
    if (!untrusted.empty()) {
        ::close(fd);
        *error = untrusted;
        return false;
    }
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            *error = errno_text("cannot read", path);
            ::close(fd);
            return false;
        }
        if (n == 0) break;
        data->append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return true;
}

std::vector<std::string> tab_fields(const std::string& line) {
    std::vector<std::string> f;
    std::size_t start = 0;
    for (;;) {
        const auto tab = line.find('\t', start);
        f.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
        if (tab == std::string::npos) break;
        start = tab + 1;
    }
    return f;
}

bool job_id_field(const std::string& text, long long* job) {
    return parse_int(text, job) && *job > 0 && *job <= 0xffffffffLL;
}

// Each kind of line: what is wrong with it ("" when it was added to spool).
std::string read_shrunk(const std::vector<std::string>& f, ChargeSpool* spool) {
    long long job = 0, run = 0, chips = 0;
    if (f.size() != 4 || !job_id_field(f[1], &job) || !parse_int(f[2], &run) || run < 0 || !parse_int(f[3], &chips) ||
        chips <= 0 || chips > kSpoolMaxChips) {
        return "malformed shrunk-run line";
    }
    spool->shrunk.push_back({static_cast<std::uint32_t>(job), run, chips});
    return "";
}

std::string read_cap(const std::vector<std::string>& f, ChargeSpool* spool) {
    long long job = 0, run = 0, seconds = 0;
    if (f.size() != 4 || !job_id_field(f[1], &job) || !parse_int(f[2], &run) || !parse_int(f[3], &seconds) ||
        seconds <= 0) {
        return "malformed time-limit line";
    }
    // The bounds of a charge line: a cap is what a run may be charged.
    if (run < 0) return "a time limit with a negative time";
    if (seconds > kSpoolMaxSeconds) return "a time limit with an impossible number of seconds";
    spool->caps.push_back({static_cast<std::uint32_t>(job), run, seconds});
    return "";
}

std::string read_boot(const std::vector<std::string>& f, ChargeSpool* spool) {
    long long job = 0, allocated = 0;
    if (f.size() != 3 || !job_id_field(f[1], &job) || !parse_int(f[2], &allocated)) return "malformed boot line";
    if (allocated <= 0) return "a boot with an impossible start time";
    spool->boots.push_back({static_cast<std::uint32_t>(job), allocated});
    return "";
}

std::string read_charge(const std::vector<std::string>& f, ChargeSpool* spool) {
    ChargeRecord c;
    long long job = 0, run = 0, chips = 0, seconds = 0, ch = 0, usd = 0, at = 0;
    const bool ok = f.size() == 12 && decode(f[0], &c.cluster) && job_id_field(f[1], &job) && parse_int(f[2], &run) &&
                    decode(f[3], &c.award) && decode(f[4], &c.user) && decode(f[5], &c.account) &&
                    decode(f[6], &c.partition) && parse_int(f[7], &chips) && parse_int(f[8], &seconds) &&
                    parse_int(f[9], &ch) && parse_int(f[10], &usd) && parse_int(f[11], &at) && !c.award.empty();
    if (!ok) return "malformed charge line";
    // Possible values only: a negative amount would credit the award.
    if (run < 0 || at < 0) return "a charge with a negative time";
    if (chips < 0 || chips > kSpoolMaxChips) return "a charge with an impossible number of chips";
    if (seconds < 0 || seconds > kSpoolMaxSeconds) return "a charge with an impossible number of seconds";
    if (ch < 0 || ch >= kSaturatedTicks || usd < -1 || usd >= kSaturatedTicks) {
        return "a charge with a negative or absurd amount";
    }
    c.job_id = static_cast<std::uint32_t>(job);
    c.run_start = run;
    c.chips = chips;
    c.seconds = seconds;
    c.chip_hours = ch;
    c.usd = usd;
    c.recorded_at = at;
    spool->charges.push_back(std::move(c));
    return "";
}

}  // namespace

bool read_charge_spool(const std::string& path, const std::vector<uid_t>& owners, ChargeSpool* spool,
                       std::string* error) {
    *spool = ChargeSpool{};
    std::string data;
    bool absent = false;
    if (!read_trusted(path, owners, &data, &absent, error)) return false;
    if (absent) return true;
    std::istringstream lines(data);
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        if (number == 1) {
            if (line != kHeader) {
                *error = path + ":1: not a slurm-grants spool of uncommitted charges";
                return false;
            }
            continue;
        }
        const std::vector<std::string> f = tab_fields(line);
        const std::string problem = f[0] == kShrunk ? read_shrunk(f, spool)
                                    : f[0] == kCap  ? read_cap(f, spool)
                                    : f[0] == kBoot ? read_boot(f, spool)
                                                    : read_charge(f, spool);
        if (!problem.empty()) {
            *error = path + ":" + std::to_string(number) + ": " + problem;
            *spool = ChargeSpool{};
            return false;
        }
    }
    if (number == 0) {
        *error = path + ": empty file (expected a header line)";
        return false;
    }
    return true;
}

}  // namespace grants
