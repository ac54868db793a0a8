// Writing a file so that readers see the old one or the new one, never a
// part: a temporary file beside it, then rename (metrics --output, report
// --plot).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace grants::cli {

enum class AtomicWrite { Ok, WriteFailed, RenameFailed };

// Writes text to PATH.tmp.PID, then renames it to path; *tmp receives the
// temporary name (for messages). The temporary file is removed on failure.
inline AtomicWrite write_atomically(const std::string& path, const std::string& text, std::string* tmp) {
    *tmp = path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream f(*tmp, std::ios::trunc);
        f << text;
        f.flush();
        if (!f) {
            std::remove(tmp->c_str());
            return AtomicWrite::WriteFailed;
        }
    }
    if (std::rename(tmp->c_str(), path.c_str()) != 0) {
        std::remove(tmp->c_str());
        return AtomicWrite::RenameFailed;
    }
    return AtomicWrite::Ok;
}

}  // namespace grants::cli
