#include "core/base/diagnostic.h"

namespace grants {

std::string Diagnostic::to_string() const {
    std::string out = file;
    if (mark.line > 0) {
        out += ':' + std::to_string(mark.line) + ':' + std::to_string(mark.column);
    }
    out += ": ";
    out += message;
    return out;
}

}  // namespace grants
