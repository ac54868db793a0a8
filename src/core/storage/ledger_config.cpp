#include "core/storage/ledger_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "core/storage/ledger.h"
#include "core/storage/mysql_ledger.h"

namespace grants {
namespace {

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

}  // namespace

std::optional<MysqlCredentials> parse_mysql_credentials(const std::string& text, const std::string& file,
                                                        std::string* error) {
    MysqlCredentials c;
    bool has_user = false, has_loc = false;
    std::istringstream in(text);
    std::string line;
    int n = 0;
    auto bad = [&](const std::string& why) {
        if (error) *error = file + ":" + std::to_string(n) + ": " + why;
        return std::nullopt;
    };
    while (std::getline(in, line)) {
        ++n;
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        const auto eq = t.find('=');
        if (eq == std::string::npos) return bad("expected Key=Value, found '" + t + "'");
        const std::string key = lower(trim(t.substr(0, eq)));
        const std::string value = trim(t.substr(eq + 1));
        if (key == "storagehost") {
            c.host = value;
        } else if (key == "storageport") {
            char* end = nullptr;
            errno = 0;
            const unsigned long p = value.empty() ? 0 : std::strtoul(value.c_str(), &end, 10);
            if (value.empty() || !std::isdigit(static_cast<unsigned char>(value[0])) || errno || *end || p == 0 ||
                p > 65535)
                return bad("StoragePort must be a port number from 1 to 65535, found '" + value + "'");
            c.port = static_cast<unsigned>(p);
        } else if (key == "storageuser") {
            c.user = value;
            has_user = !value.empty();
        } else if (key == "storagepass") {
            c.password = value;
        } else if (key == "storageloc") {
            c.database = value;
            has_loc = !value.empty();
        } else if (key == "storagesocket") {
            c.socket = value;
        } else {
            return bad("unknown key '" + trim(t.substr(0, eq)) +
                       "'; expected StorageHost, StoragePort, StorageUser, StoragePass, StorageLoc or StorageSocket");
        }
    }
    n = 0;
    if (!has_user) {
        if (error) *error = file + ": StorageUser is missing (the MySQL/MariaDB user of the grants ledger)";
        return std::nullopt;
    }
    if (!has_loc) {
        if (error) *error = file + ": StorageLoc is missing (the database that holds the grants ledger)";
        return std::nullopt;
    }
    return c;
}

std::optional<MysqlCredentials> read_mysql_credentials(const std::string& file, const std::vector<uid_t>& owners,
                                                       std::string* error) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (error) *error = "cannot read the ledger credentials " + file + ": " + std::strerror(errno);
        return std::nullopt;
    }
    struct stat st {};
    std::string text;
    std::string problem;
    if (::fstat(fd, &st) != 0) {
        problem = std::strerror(errno);
    } else if (!S_ISREG(st.st_mode)) {
        problem = "it is not a regular file";
    } else if (st.st_uid != 0 && std::find(owners.begin(), owners.end(), st.st_uid) == owners.end()) {
        problem = "it is owned by uid " + std::to_string(st.st_uid) + ", not by root or SlurmUser";
    } else if (st.st_mode & 077) {
        problem = "group or others may access it (it holds a password): chmod 600 it";
    } else {
        char buf[4096];
        ssize_t got;
        while ((got = ::read(fd, buf, sizeof buf)) > 0 && text.size() < (1 << 20)) text.append(buf, got);
        if (got < 0) problem = std::strerror(errno);
    }
    ::close(fd);
    if (!problem.empty()) {
        if (error) *error = "refusing the ledger credentials " + file + ": " + problem;
        return std::nullopt;
    }
    return parse_mysql_credentials(text, file, error);
}

std::unique_ptr<Ledger> open_ledger(const LedgerConfig& config, const std::string& default_sqlite_path,
                                    const std::vector<uid_t>& owners, bool read_only, std::string* error) {
    if (config.backend == LedgerBackend::Sqlite) {
        return Ledger::open(config.path.empty() ? default_sqlite_path : config.path, error, read_only);
    }
    auto credentials = read_mysql_credentials(config.credentials, owners, error);
    if (!credentials) return nullptr;
    return MysqlLedger::open(*credentials, error);
}

}  // namespace grants
