// Writing a file so that readers see the old one or the new one, never a
// part: a temporary file beside it, then rename (metrics --output, report
// --plot).
//
// The directory may be writable by others (a node_exporter textfile
// directory, /tmp) while grantctl runs as root from cron: the temporary file
// is therefore created with O_CREAT|O_EXCL|O_NOFOLLOW under a name nobody can
// guess, so a symbolic link or file planted there is never followed or
// written; its name is taken again (another random name) when it exists.
#pragma once

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>

namespace grants::cli {

enum class AtomicWrite { Ok, WriteFailed, RenameFailed };

// The temporary name of the attempt-th try (0, 1, ...) for path.
using TempName = std::function<std::string(const std::string& path, int attempt)>;

// PATH.tmp.PID.<16 random hex digits> (getrandom; the time and a counter
// when it fails, which still never follows a planted link: O_EXCL does that).
inline std::string random_temp_name(const std::string& path, int attempt) {
    std::uint64_t r = 0;
    if (::getrandom(&r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) {
        static std::uint64_t counter = 0;
        r = (static_cast<std::uint64_t>(std::time(nullptr)) << 20) ^ (++counter << 8) ^
            static_cast<std::uint64_t>(attempt);
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(r));
    return path + ".tmp." + std::to_string(::getpid()) + "." + hex;
}

// How many names are tried before giving up (each one found taken).
inline constexpr int kTempNameAttempts = 16;

// Writes text to a new temporary file beside path (mode 0644 before the
// umask), then renames it to path; *tmp receives the temporary name, or, when
// no temporary file could be created, why (for the one-sentence refusal).
// The temporary file is removed on failure.
inline AtomicWrite write_atomically(const std::string& path, const std::string& text, std::string* tmp,
                                    const TempName& name = random_temp_name) {
    int fd = -1;
    for (int attempt = 0; attempt < kTempNameAttempts && fd < 0; ++attempt) {
        *tmp = name(path, attempt);
        fd = ::open(tmp->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        if (errno == EEXIST) {
            *tmp += " (and " + std::to_string(kTempNameAttempts - 1) +
                    " other temporary names beside it were taken: is someone creating files there?)";
        } else {
            *tmp += std::string(" (") + std::strerror(errno) + ")";
        }
        return AtomicWrite::WriteFailed;
    }
    std::size_t done = 0;
    int error = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error = n < 0 ? errno : ENOSPC;
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0 && error == 0) error = errno;
    if (error != 0) {
        ::unlink(tmp->c_str());
        *tmp += std::string(" (") + std::strerror(error) + ")";
        return AtomicWrite::WriteFailed;
    }
    // rename() replaces whatever is at path, a link included, without
    // following it.
    if (std::rename(tmp->c_str(), path.c_str()) != 0) {
        ::unlink(tmp->c_str());
        return AtomicWrite::RenameFailed;
    }
    return AtomicWrite::Ok;
}

}  // namespace grants::cli
