#include "cli/options.h"

#include <cctype>
#include <iostream>

#include "cli/exit_codes.h"
#include "core/domain/forecast.h"

namespace grants::cli {

namespace {

bool looks_negative_number(const std::string& a) {
    return a.size() > 1 && a[0] == '-' && (std::isdigit(static_cast<unsigned char>(a[1])) || a[1] == '.');
}

}  // namespace

std::string parse_options(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs,
                          ParsedArgs* out) {
    bool only_positionals = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (only_positionals || a.empty() || a[0] != '-' || a == "-" || looks_negative_number(a)) {
            out->positionals.push_back(a);
            continue;
        }
        if (a == "--") {
            only_positionals = true;
            continue;
        }
        const OptionSpec* spec = nullptr;
        std::string inline_value;
        bool has_inline = false;
        if (a.rfind("--", 0) == 0) {
            std::string name = a.substr(2);
            auto eq = name.find('=');
            if (eq != std::string::npos) {
                inline_value = name.substr(eq + 1);
                name = name.substr(0, eq);
                has_inline = true;
            }
            for (const auto& s : specs) {
                if (name == s.long_name) spec = &s;
            }
            if (!spec) return "unknown option '--" + name + "'.";
        } else {
            for (const auto& s : specs) {
                if (s.short_name && a[1] == s.short_name) spec = &s;
            }
            if (!spec) return "unknown option '" + a.substr(0, 2) + "'.";
            if (a.size() > 2) {
                if (!spec->takes_value) return "option '" + a.substr(0, 2) + "' takes no value.";
                inline_value = a.substr(2);
                has_inline = true;
            }
        }
        const std::string display = std::string("--") + spec->long_name;
        if (!spec->takes_value) {
            if (has_inline) return "option '" + display + "' takes no value.";
            out->flags.insert(spec->long_name);
            continue;
        }
        if (!has_inline) {
            if (i + 1 >= args.size()) return "option '" + display + "' needs a value.";
            inline_value = args[++i];
        }
        out->values[spec->long_name] = inline_value;
    }
    return "";
}

std::optional<int> parse_command(const std::vector<std::string>& args, std::vector<OptionSpec> specs, const char* usage,
                                 const std::string& command, ParsedArgs* out, Positionals positionals) {
    specs.push_back({"help", 'h', false});
    std::string bad = parse_options(args, specs, out);
    if (!bad.empty()) return usage_error(command, bad);
    if (out->has("help")) {
        std::cout << usage;
        return kExitOk;
    }
    if (positionals == Positionals::None && !out->positionals.empty()) {
        return usage_error(command, "unexpected argument '" + out->positionals.front() + "'.");
    }
    return std::nullopt;
}

int usage_error(const std::string& command, const std::string& sentence) {
    std::cerr << "grantctl: " << sentence << " See 'grantctl " << command << " --help'.\n";
    return kExitUsage;
}

int refused(const std::string& sentence) {
    std::cerr << "grantctl: " << sentence << "\n";
    return kExitRefused;
}

std::optional<int> parse_window(const std::string& text) {
    if (text.empty() || text.size() > 4 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    const int days = std::stoi(text);
    if (days < 1 || days > kMaxForecastWindow) return std::nullopt;
    return days;
}

std::string window_problem(const std::string& text) {
    return "--window wants a number of days from 1 to " + std::to_string(kMaxForecastWindow) + ", not '" + text + "'.";
}

}  // namespace grants::cli
