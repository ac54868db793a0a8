// A fresh temporary directory per cmocka test (setup make_dir, teardown
// remove_dir), shared by the unit tests that touch files.
#pragma once

#include <cstdlib>
#include <string>

namespace grants::test {

struct TempDir {
    std::string path;
};

inline int make_dir(void** state) {
    char tmpl[] = "/tmp/grants-unit-XXXXXX";
    if (!mkdtemp(tmpl)) return -1;
    *state = new TempDir{tmpl};
    return 0;
}

inline int remove_dir(void** state) {
    auto* dir = static_cast<TempDir*>(*state);
    const std::string cmd = "rm -rf '" + dir->path + "'";
    int rc = std::system(cmd.c_str());
    delete dir;
    return rc == 0 ? 0 : -1;
}

inline const std::string& dir_of(void** state) { return static_cast<TempDir*>(*state)->path; }

}  // namespace grants::test
