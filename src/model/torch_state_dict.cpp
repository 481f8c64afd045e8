#include "model/torch_state_dict.h"

#include <cstring>
#include <memory>
#include <variant>

#include "gpuembed/error.h"
#include "model/half.h"
#include "model/model_invalid.h"
#include "model/safetensors.h"

namespace gpuembed {
namespace {

uint32_t le32(const uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24); }
uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// name -> [begin, end) of each stored (uncompressed) entry, from the zip's central directory.
std::map<std::string, std::pair<size_t, size_t>> zip_entries(const std::vector<uint8_t>& z, const std::string& origin) {
  if (z.size() < 22) invalid(origin, "too short for a zip archive (torch.save's format)");
  size_t eocd = std::string::npos;
  for (size_t i = z.size() - 22 + 1; i-- > 0 && z.size() - i <= 22 + 65535;) {
    if (le32(&z[i]) == 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd == std::string::npos) {
    invalid(origin, "not a zip archive (a legacy torch.save file? re-save it with torch >= 1.6 or convert it to safetensors)");
  }
  const size_t count = le16(&z[eocd + 10]);
  size_t at = le32(&z[eocd + 16]);
  std::map<std::string, std::pair<size_t, size_t>> out;
  for (size_t n = 0; n < count; ++n) {
    if (at + 46 > z.size() || le32(&z[at]) != 0x02014b50) invalid(origin, "broken zip central directory");
    const uint16_t method = le16(&z[at + 10]);
    const uint32_t size = le32(&z[at + 20]), usize = le32(&z[at + 24]);
    const size_t name_len = le16(&z[at + 28]), extra_len = le16(&z[at + 30]), comment_len = le16(&z[at + 32]);
    const size_t local = le32(&z[at + 42]);
    if (at + 46 + name_len > z.size()) invalid(origin, "broken zip central directory");
    const std::string name(reinterpret_cast<const char*>(&z[at + 46]), name_len);
    if (size == 0xFFFFFFFFu || local == 0xFFFFFFFFu) invalid(origin, name + ": zip64 entries are not supported");
    if (method != 0 || size != usize) invalid(origin, name + ": compressed zip entries are not supported");
    if (local + 30 > z.size() || le32(&z[local]) != 0x04034b50) invalid(origin, name + ": broken zip local header");
    const size_t begin = local + 30 + le16(&z[local + 26]) + le16(&z[local + 28]);
    if (begin > z.size() || size > z.size() - begin) invalid(origin, name + ": entry runs past the end of the file");
    out[name] = {begin, begin + size};
    at += 46 + name_len + extra_len + comment_len;
  }
  return out;
}

struct Value;
using ValuePtr = std::shared_ptr<Value>;
struct Global {
  std::string name;  // "module.qualname"
};
struct Storage {
  std::string dtype, key;
};
struct Tensor {
  Storage storage;
  int64_t offset = 0;
  std::vector<int64_t> shape, stride;
};
struct Mark {};
using List = std::vector<ValuePtr>;
using Dict = std::vector<std::pair<ValuePtr, ValuePtr>>;
struct Value {
  std::variant<std::monostate, bool, int64_t, double, std::string, List, Dict, Global, Storage, Tensor, Mark> v;
  bool is_tuple = false;
};

ValuePtr make(auto x) {
  auto p = std::make_shared<Value>();
  p->v = std::move(x);
  return p;
}

class Unpickler {
 public:
  Unpickler(const uint8_t* p, size_t n, const std::string& origin) : p_(p), end_(p + n), origin_(origin) {}

  ValuePtr run() {
    while (true) {
      const uint8_t op = byte();
      switch (op) {
        case 0x80: byte(); break;                          // PROTO
        case 0x95: take(8); break;                         // FRAME
        case '.': return pop();                            // STOP
        case '(': push(make(Mark{})); break;               // MARK
        case ')': push_tuple({}); break;                   // EMPTY_TUPLE
        case 't': push_tuple(pop_to_mark()); break;        // TUPLE
        case 0x85: { auto a = pop(); push_tuple({a}); break; }
        case 0x86: { auto b = pop(), a = pop(); push_tuple({a, b}); break; }
        case 0x87: { auto c = pop(), b = pop(), a = pop(); push_tuple({a, b, c}); break; }
        case ']': push(make(List{})); break;               // EMPTY_LIST
        case 'a': { auto x = pop(); as<List>(top(), "APPEND").push_back(x); break; }
        case 'e': { auto xs = pop_to_mark(); auto& l = as<List>(top(), "APPENDS"); l.insert(l.end(), xs.begin(), xs.end()); break; }
        case '}': push(make(Dict{})); break;               // EMPTY_DICT
        case 's': { auto v = pop(), k = pop(); as<Dict>(top(), "SETITEM").emplace_back(k, v); break; }
        case 'u': {                                        // SETITEMS
          auto xs = pop_to_mark();
          if (xs.size() % 2) bad("SETITEMS with an odd number of items");
          auto& d = as<Dict>(top(), "SETITEMS");
          for (size_t i = 0; i < xs.size(); i += 2) d.emplace_back(xs[i], xs[i + 1]);
          break;
        }
        case 'N': push(make(std::monostate{})); break;
        case 0x88: push(make(true)); break;
        case 0x89: push(make(false)); break;
        case 'K': push(make(int64_t{byte()})); break;      // BININT1
        case 'M': { auto b = take(2); push(make(int64_t{le16(b)})); break; }
        case 'J': { auto b = take(4); push(make(int64_t{static_cast<int32_t>(le32(b))})); break; }
        case 0x8a: {                                       // LONG1
          const size_t n = byte();
          if (n > 8) bad("integer too large");
          const uint8_t* b = take(n);
          uint64_t u = 0;
          for (size_t i = 0; i < n; ++i) u |= uint64_t(b[i]) << (8 * i);
          if (n && n < 8 && (b[n - 1] & 0x80)) u |= ~uint64_t(0) << (8 * n);  // sign-extend
          push(make(static_cast<int64_t>(u)));
          break;
        }
        case 'G': {                                        // BINFLOAT (big-endian)
          const uint8_t* b = take(8);
          uint64_t u = 0;
          for (int i = 0; i < 8; ++i) u = (u << 8) | b[i];
          double d;
          std::memcpy(&d, &u, 8);
          push(make(d));
          break;
        }
        case 'X': { auto n = le32(take(4)); push(make(str(n))); break; }    // BINUNICODE
        case 0x8c: { auto n = byte(); push(make(str(n))); break; }          // SHORT_BINUNICODE
        case 'U': { auto n = byte(); push(make(str(n))); break; }           // SHORT_BINSTRING
        case 'T': { auto n = le32(take(4)); push(make(str(n))); break; }    // BINSTRING
        case 'c': {                                        // GLOBAL "module\nname\n"
          const std::string mod = line(), name = line();
          push(make(Global{mod + "." + name}));
          break;
        }
        case 0x93: {                                       // STACK_GLOBAL
          auto name = pop(), mod = pop();
          push(make(Global{as<std::string>(mod, "STACK_GLOBAL") + "." + as<std::string>(name, "STACK_GLOBAL")}));
          break;
        }
        case 'q': memo_[byte()] = top(); break;            // BINPUT
        case 'r': memo_[le32(take(4))] = top(); break;     // LONG_BINPUT
        case 0x94: memo_[memo_.size()] = top(); break;     // MEMOIZE
        case 'h': push(memo(byte())); break;               // BINGET
        case 'j': push(memo(le32(take(4)))); break;        // LONG_BINGET
        case 'Q': push(persistent(pop())); break;          // BINPERSID
        case 'R': { auto args = pop(), fn = pop(); push(reduce(fn, args)); break; }
        case 'b': pop(); break;                            // BUILD: the state (a state dict's _metadata) is not needed
        default: bad("pickle opcode 0x" + hex(op) + " is not one a state dict of tensors uses");
      }
    }
  }

 private:
  template <class T>
  T& as(const ValuePtr& v, const char* what) {
    if (!std::holds_alternative<T>(v->v)) bad(std::string("unexpected value for ") + what);
    return std::get<T>(v->v);
  }
  [[noreturn]] void bad(const std::string& what) { invalid(origin_, "data.pkl: " + what); }
  static std::string hex(uint8_t b) {
    const char* d = "0123456789abcdef";
    return {d[b >> 4], d[b & 15]};
  }
  uint8_t byte() { return *take(1); }
  const uint8_t* take(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) bad("truncated");
    const uint8_t* r = p_;
    p_ += n;
    return r;
  }
  std::string str(size_t n) {
    const uint8_t* b = take(n);
    return std::string(reinterpret_cast<const char*>(b), n);
  }
  std::string line() {
    std::string s;
    for (uint8_t c; (c = byte()) != '\n';) s += static_cast<char>(c);
    return s;
  }
  void push(ValuePtr v) {
    if (stack_.size() > (1u << 20)) bad("stack too deep");
    stack_.push_back(std::move(v));
  }
  void push_tuple(List items) {
    auto v = make(std::move(items));
    v->is_tuple = true;
    push(v);
  }
  ValuePtr pop() {
    if (stack_.empty()) bad("stack underflow");
    ValuePtr v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  const ValuePtr& top() {
    if (stack_.empty()) bad("stack underflow");
    return stack_.back();
  }
  List pop_to_mark() {
    List items;
    while (true) {
      ValuePtr v = pop();
      if (std::holds_alternative<Mark>(v->v)) break;
      items.push_back(std::move(v));
    }
    return List(items.rbegin(), items.rend());
  }
  ValuePtr memo(size_t i) {
    auto it = memo_.find(i);
    if (it == memo_.end()) bad("memo entry " + std::to_string(i) + " missing");
    return it->second;
  }
  ValuePtr persistent(const ValuePtr& pid) {
    // ('storage', torch.FloatStorage, key, location, numel)
    const List& t = as<List>(pid, "persistent id");
    if (t.size() < 3 || as<std::string>(t[0], "persistent id") != "storage") bad("persistent id is not a storage");
    const std::string type = as<Global>(t[1], "storage type").name;
    const std::string key = as<std::string>(t[2], "storage key");
    const std::pair<const char*, const char*> kTypes[] = {{"torch.FloatStorage", "F32"}, {"torch.HalfStorage", "F16"},
                                                          {"torch.BFloat16Storage", "BF16"}, {"torch.DoubleStorage", "F64"}};
    for (const auto& [n, d] : kTypes) {
      if (type == n) return make(Storage{d, key});
    }
    bad("storage type " + type + " is not a floating-point storage");
  }
  int64_t integer(const ValuePtr& v, const char* what) { return as<int64_t>(v, what); }
  std::vector<int64_t> ints(const ValuePtr& v, const char* what) {
    std::vector<int64_t> out;
    for (const auto& x : as<List>(v, what)) out.push_back(integer(x, what));
    return out;
  }
  ValuePtr reduce(const ValuePtr& fn, const ValuePtr& args) {
    const std::string name = as<Global>(fn, "REDUCE").name;
    const List& a = as<List>(args, "REDUCE arguments");
    if (name == "collections.OrderedDict") return make(Dict{});
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      if (a.size() < 4) bad("_rebuild_tensor_v2 with too few arguments");
      Tensor t;
      t.storage = as<Storage>(a[0], "tensor storage");
      t.offset = integer(a[1], "storage offset");
      t.shape = ints(a[2], "tensor size");
      t.stride = ints(a[3], "tensor stride");
      return make(std::move(t));
    }
    if (name == "torch._utils._rebuild_parameter") {
      if (a.empty()) bad("_rebuild_parameter without a tensor");
      return a[0];
    }
    bad("'" + name + "' is not something a state dict of tensors holds");
  }

  const uint8_t* p_;
  const uint8_t* end_;
  std::string origin_;
  std::vector<ValuePtr> stack_;
  std::map<size_t, ValuePtr> memo_;
};

}  // namespace

std::map<std::string, TorchTensor> read_torch_state_dict(const std::vector<uint8_t>& bytes, const std::string& origin) {
  const auto entries = zip_entries(bytes, origin);
  std::string prefix;
  for (const auto& [name, range] : entries) {
    if (name.size() >= 8 && name.compare(name.size() - 8, 8, "data.pkl") == 0) prefix = name.substr(0, name.size() - 8);
  }
  if (!entries.count(prefix + "data.pkl")) invalid(origin, "no data.pkl in the archive (not a torch.save file)");
  if (auto bo = entries.find(prefix + "byteorder"); bo != entries.end()) {
    const std::string order(bytes.begin() + bo->second.first, bytes.begin() + bo->second.second);
    if (order != "little") invalid(origin, "byteorder '" + order + "' is not supported (only little)");
  }
  const auto& [pb, pe] = entries.at(prefix + "data.pkl");
  ValuePtr root = Unpickler(bytes.data() + pb, pe - pb, origin).run();
  if (!std::holds_alternative<Dict>(root->v)) invalid(origin, "data.pkl does not hold a state dict");

  std::map<std::string, TorchTensor> out;
  for (const auto& [k, v] : std::get<Dict>(root->v)) {
    if (!std::holds_alternative<std::string>(k->v) || !std::holds_alternative<Tensor>(v->v)) {
      invalid(origin, "data.pkl: a state dict entry that is not name -> tensor");
    }
    const std::string& name = std::get<std::string>(k->v);
    const Tensor& t = std::get<Tensor>(v->v);
    size_t numel = 1;
    int64_t expect = 1;
    for (size_t i = t.shape.size(); i-- > 0;) {
      if (t.shape[i] < 0 || t.shape[i] > (int64_t(1) << 32)) invalid(origin, name + ": bad shape");
      if (i < t.stride.size() && t.shape[i] > 1 && t.stride[i] != expect) {
        invalid(origin, name + ": a non-contiguous tensor is not supported");
      }
      expect *= t.shape[i];
      numel *= static_cast<size_t>(t.shape[i]);
    }
    if (t.stride.size() != t.shape.size()) invalid(origin, name + ": stride and size differ in rank");
    auto e = entries.find(prefix + "data/" + t.storage.key);
    if (e == entries.end()) invalid(origin, name + ": storage data/" + t.storage.key + " missing");
    const size_t elem = t.storage.dtype == "F32" ? 4 : t.storage.dtype == "F64" ? 8 : 2;
    const size_t avail = (e->second.second - e->second.first) / elem;
    if (t.offset < 0 || static_cast<size_t>(t.offset) > avail || numel > avail - static_cast<size_t>(t.offset)) {
      invalid(origin, name + ": runs past its storage");
    }
    const uint8_t* src = bytes.data() + e->second.first + static_cast<size_t>(t.offset) * elem;
    TorchTensor tt;
    tt.shape = t.shape;
    tt.data.resize(numel);
    for (size_t i = 0; i < numel; ++i) {
      const uint8_t* s = src + i * elem;
      if (elem == 4) {
        std::memcpy(&tt.data[i], s, 4);
      } else if (elem == 8) {
        double d;
        std::memcpy(&d, s, 8);
        tt.data[i] = static_cast<float>(d);
      } else {
        const uint16_t h = le16(s);
        tt.data[i] = t.storage.dtype == "F16" ? half_to_float(h) : bf16_to_float(h);
      }
    }
    out[name] = std::move(tt);
  }
  return out;
}

}  // namespace gpuembed
