#include "elf_check.hpp"

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <fstream>

namespace strata::detail {

namespace {

std::string past_the_end(const char* what, std::uint64_t end, std::uint64_t size) {
  return std::string(what) + " end at byte " + std::to_string(end) + " but the file has " + std::to_string(size) +
         " bytes";
}

} // namespace

std::string truncated_elf(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    return {};
  const auto size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  unsigned char ident[EI_NIDENT] = {};
  if (!in.read(reinterpret_cast<char*>(ident), EI_NIDENT) || std::memcmp(ident, ELFMAG, SELFMAG) != 0 ||
      ident[EI_CLASS] != ELFCLASS64)
    return {};
  Elf64_Ehdr header{};
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(&header), sizeof header))
    return past_the_end("its ELF header would", sizeof header, size);
  // Products of 16-bit counts and sizes with offsets below 2^64: no overflow for real files, and
  // a bogus offset near 2^64 only makes the check refuse.
  const auto phdrs_end = header.e_phoff + std::uint64_t{header.e_phnum} * header.e_phentsize;
  if (phdrs_end > size || phdrs_end < header.e_phoff)
    return past_the_end("its program headers", phdrs_end, size);
  if (header.e_shoff != 0) {
    const auto shdrs_end = header.e_shoff + std::uint64_t{header.e_shnum} * header.e_shentsize;
    if (shdrs_end > size || shdrs_end < header.e_shoff)
      return past_the_end("its section headers", shdrs_end, size);
  }
  if (header.e_phentsize < sizeof(Elf64_Phdr))
    return {};
  for (std::uint16_t i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr segment{};
    in.seekg(static_cast<std::streamoff>(header.e_phoff + std::uint64_t{i} * header.e_phentsize));
    if (!in.read(reinterpret_cast<char*>(&segment), sizeof segment))
      return past_the_end("its program headers", phdrs_end, size);
    const auto end = segment.p_offset + segment.p_filesz;
    if (segment.p_type == PT_LOAD && (end > size || end < segment.p_offset))
      return past_the_end(("its segment #" + std::to_string(i) + " would").c_str(), end, size);
  }
  return {};
}

} // namespace strata::detail
