#pragma once
// "a,b,c" -> {"a", "b", "c"}: the --cases / --shapes lists of the benchmark programs.
#include <sstream>
#include <string>
#include <vector>

inline std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}
