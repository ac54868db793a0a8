#include "core/policy/plugin_args.h"

#include "core/base/award_id.h"

namespace grants {

SpankSettingsParse parse_spank_args(const std::vector<std::string>& args) {
    SpankSettingsParse out;
    for (const std::string& arg : args) {
        auto eq = arg.find('=');
        std::string key = arg.substr(0, eq);
        if (eq == std::string::npos) {
            out.error = "plugstack argument " + quote_untrusted(arg) + " is not of the form key=value (known keys: policy)";
            return out;
        }
        std::string value = arg.substr(eq + 1);
        if (key == "policy") {
            if (value.empty() || value.front() != '/') {
                out.error = "plugstack argument policy= needs an absolute path, found " + quote_untrusted(value);
                return out;
            }
            out.settings.policy_path = value;
        } else {
            out.error = "unknown plugstack argument " + quote_untrusted(key) + " (known keys: policy)";
            return out;
        }
    }
    return out;
}

}  // namespace grants
