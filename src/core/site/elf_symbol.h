// The value of a 32-bit constant a shared object exports (a Slurm plugin's
// plugin_version), read from the file's bytes without loading it: dlopen
// would run the plugin's constructors and fail on a plugin built for another
// Slurm (its libslurmfull symbols), which is what grantctl doctor looks for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace grants {

// The 4 bytes at symbol name in the dynamic symbol table of the ELF image
// (32- or 64-bit, little-endian, as every Slurm host is); nullopt with one
// sentence in *error when the image is not such an object, exports no such
// symbol, or the symbol's bytes are not in the file.
std::optional<std::uint32_t> elf_u32_symbol(std::string_view image, std::string_view name, std::string* error);

// Slurm's SLURM_VERSION_NUM: (major << 16) | (minor << 8) | micro.
// "22.05.8" -> 0x160508; "24.11.5-1" -> 0x180b05; nullopt when text does not
// start with three numbers.
std::optional<std::uint32_t> slurm_version_number(std::string_view text);

// 0x160508 -> "22.05.8".
std::string slurm_version_text(std::uint32_t number);

}  // namespace grants
