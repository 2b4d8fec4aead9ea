// Native MuJoCo for the embedded simulator: a Node-API addon over libmujoco (the 3.14.0 pip wheel's
// shared library). It exposes the few calls the engine makes and MuJoCo's own arrays as external
// ArrayBuffers, so in-place writes (ctrl, qpos) reach MuJoCo as they do in the WebAssembly build.
// engine/sim/embedded/native.ts wraps it in the shape of @mujoco/mujoco's MainModule.
// Context-aware (NAPI_MODULE_INIT): each worker thread gets its own instance.

#define NAPI_VERSION 8
#include <node_api.h>
#include <mujoco/mujoco.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Tags telling a model's external from a data's, so a swapped argument is an error, not a crash.
static const napi_type_tag MODEL_TAG = {0x6d6a4d6f64656c31ULL, 0x7273642d6e617469ULL};
static const napi_type_tag DATA_TAG = {0x6d6a446174613031ULL, 0x7273642d6e617469ULL};

// mju_error would exit the process; the handler jumps back to the call that raised it instead.
static _Thread_local jmp_buf *error_jump;
static _Thread_local char error_text[1024];
static void on_mujoco_error(const char *msg) {
  snprintf(error_text, sizeof error_text, "%s", msg);
  if (error_jump) longjmp(*error_jump, 1);
  fprintf(stderr, "MuJoCo error outside a guarded call: %s\n", msg);
  abort();
}
#define GUARDED(env, call)                                  \
  do {                                                      \
    jmp_buf here;                                           \
    jmp_buf *outer = error_jump;                            \
    if (setjmp(here)) {                                     \
      error_jump = outer;                                   \
      napi_throw_error(env, NULL, error_text);              \
      return NULL;                                          \
    }                                                       \
    error_jump = &here;                                     \
    call;                                                   \
    error_jump = outer;                                     \
  } while (0)

#define CHECK(env, expr)                                                   \
  do {                                                                     \
    if ((expr) != napi_ok) {                                               \
      const napi_extended_error_info *info = NULL;                         \
      napi_get_last_error_info(env, &info);                                \
      bool pending = false;                                                \
      napi_is_exception_pending(env, &pending);                            \
      if (!pending)                                                        \
        napi_throw_error(env, NULL, info && info->error_message ? info->error_message : #expr); \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

// ---- field tables, from MuJoCo's X macros ----

enum { T_F64 = 0, T_F32 = 1, T_I32 = 2, T_U8 = 3, T_I8 = 4, T_U64 = 5, T_I64 = 6 };
#define TYPECODE(t) _Generic((t){0}, double: T_F64, float: T_F32, int: T_I32, unsigned char: T_U8, _Bool: T_U8, char: T_I8, uintptr_t: T_U64, int64_t: T_I64, default: -1)

typedef struct { const char *name; int type; size_t elem; } Field;

static const Field model_fields[] = {
#define X(type, name, nr, nc) {#name, TYPECODE(type), sizeof(type)},
#define XNV X
  MJMODEL_POINTERS
#undef X
};
#define NMODEL (sizeof model_fields / sizeof model_fields[0])

// Element counts of each model array, in the order of model_fields.
static void model_counts(const mjModel *m, size_t *out) {
#define X(n) mjtSize n = m->n; (void)n;
  MJMODEL_SIZES
#undef X
  int i = 0;
#define X(type, name, nr, nc) out[i++] = (size_t)(nr) * (size_t)(nc);
  MJMODEL_POINTERS
#undef X
}

static void *model_pointer(const mjModel *m, int index) {
  int i = 0;
#define X(type, name, nr, nc) if (i++ == index) return (void *)m->name;
  MJMODEL_POINTERS
#undef X
  return NULL;
}

// mjData's fixed arrays (in d->buffer, allocated once); the arena arrays move every step and are not views.
static const Field data_fields[] = {
#define X(type, name, nr, nc) {#name, TYPECODE(type), sizeof(type)},
  MJDATA_POINTERS
#undef X
};
#define NDATA (sizeof data_fields / sizeof data_fields[0])

static size_t data_count(const mjModel *m, int index) {
#define X(n) mjtSize n = m->n; (void)n;
  MJMODEL_SIZES
#undef X
  int i = 0;
#define X(type, name, nr, nc) if (i++ == index) return (size_t)(nr) * (size_t)(nc);
  MJDATA_POINTERS
#undef X
  return 0;
}

static void *data_pointer(const mjData *d, int index) {
  int i = 0;
#define X(type, name, nr, nc) if (i++ == index) return (void *)d->name;
  MJDATA_POINTERS
#undef X
  return NULL;
}

// Fields inside the mjModel and mjData structs themselves: [path, type, byte offset, count].
typedef struct { const char *path; int type; size_t offset; int count; } StructField;

static const StructField model_struct_fields[] = {
#define X(n) {#n, T_I64, offsetof(mjModel, n), 1},
  MJMODEL_SIZES
#undef X
#define X(type, name, n) {"opt." #name, TYPECODE(type), offsetof(mjModel, opt.name), n},
#define XVEC X
  MJOPTION_FIELDS
#undef X
#undef XVEC
#define X(name, n) {"stat." #name, T_F64, offsetof(mjModel, stat.name), n},
#define XVEC X
  MJSTATISTIC_FIELDS
#undef X
#undef XVEC
#define XVEC X
#define X(type, name, n) {"vis.global." #name, TYPECODE(type), offsetof(mjModel, vis.global.name), n},
  MJVISUAL_GLOBAL_FIELDS
#undef X
#define X(type, name, n) {"vis.quality." #name, TYPECODE(type), offsetof(mjModel, vis.quality.name), n},
  MJVISUAL_QUALITY_FIELDS
#undef X
#define X(type, name, n) {"vis.headlight." #name, TYPECODE(type), offsetof(mjModel, vis.headlight.name), n},
  MJVISUAL_HEADLIGHT_FIELDS
#undef X
#define X(type, name, n) {"vis.map." #name, TYPECODE(type), offsetof(mjModel, vis.map.name), n},
  MJVISUAL_MAP_FIELDS
#undef X
#define X(type, name, n) {"vis.scale." #name, TYPECODE(type), offsetof(mjModel, vis.scale.name), n},
  MJVISUAL_SCALE_FIELDS
#undef X
#define X(type, name, n) {"vis.rgba." #name, TYPECODE(type), offsetof(mjModel, vis.rgba.name), n},
  MJVISUAL_RGBA_FIELDS
#undef X
#undef XVEC
};
#define NMODEL_STRUCT (sizeof model_struct_fields / sizeof model_struct_fields[0])

static const StructField data_struct_fields[] = {
#define X(type, name) {#name, _Generic((type){0}, size_t: T_U64, default: TYPECODE(type)), offsetof(mjData, name), 1},
  MJDATA_SCALAR
#undef X
  {"warning", T_I32, offsetof(mjData, warning), 2 * mjNWARNING},
  {"energy", T_F64, offsetof(mjData, energy), 2},
};
#define NDATA_STRUCT (sizeof data_struct_fields / sizeof data_struct_fields[0])

// mjContact's fields, for copies of d->contact.
static const StructField contact_fields[] = {
  {"dist", T_F64, offsetof(mjContact, dist), 1},
  {"pos", T_F64, offsetof(mjContact, pos), 3},
  {"frame", T_F64, offsetof(mjContact, frame), 9},
  {"includemargin", T_F64, offsetof(mjContact, includemargin), 1},
  {"friction", T_F64, offsetof(mjContact, friction), 5},
  {"solref", T_F64, offsetof(mjContact, solref), mjNREF},
  {"solreffriction", T_F64, offsetof(mjContact, solreffriction), mjNREF},
  {"solimp", T_F64, offsetof(mjContact, solimp), mjNIMP},
  {"adhesion", T_F64, offsetof(mjContact, adhesion), 1},
  {"mu", T_F64, offsetof(mjContact, mu), 1},
  {"H", T_F64, offsetof(mjContact, H), 36},
  {"dim", T_I32, offsetof(mjContact, dim), 1},
  {"geom1", T_I32, offsetof(mjContact, geom1), 1},
  {"geom2", T_I32, offsetof(mjContact, geom2), 1},
  {"geom", T_I32, offsetof(mjContact, geom), 2},
  {"flex", T_I32, offsetof(mjContact, flex), 2},
  {"elem", T_I32, offsetof(mjContact, elem), 2},
  {"vert", T_I32, offsetof(mjContact, vert), 2},
  {"exclude", T_I32, offsetof(mjContact, exclude), 1},
  {"efc_address", T_I32, offsetof(mjContact, efc_address), 1},
};
#define NCONTACT (sizeof contact_fields / sizeof contact_fields[0])

typedef struct { const char *name; int value; } EnumValue;
#define E(n) {#n, n},
static const EnumValue obj_values[] = {
  E(mjOBJ_UNKNOWN) E(mjOBJ_BODY) E(mjOBJ_XBODY) E(mjOBJ_JOINT) E(mjOBJ_DOF) E(mjOBJ_GEOM) E(mjOBJ_SITE)
  E(mjOBJ_CAMERA) E(mjOBJ_LIGHT) E(mjOBJ_FLEX) E(mjOBJ_MESH) E(mjOBJ_SKIN) E(mjOBJ_HFIELD) E(mjOBJ_TEXTURE)
  E(mjOBJ_MATERIAL) E(mjOBJ_PAIR) E(mjOBJ_EXCLUDE) E(mjOBJ_EQUALITY) E(mjOBJ_TENDON) E(mjOBJ_ACTUATOR)
  E(mjOBJ_SENSOR) E(mjOBJ_NUMERIC) E(mjOBJ_TEXT) E(mjOBJ_TUPLE) E(mjOBJ_KEY) E(mjOBJ_PLUGIN)
};
static const EnumValue warning_values[] = {
  E(mjWARN_INERTIA) E(mjWARN_CONTACTFULL) E(mjWARN_CNSTRFULL) E(mjWARN_BADQPOS)
  E(mjWARN_BADQVEL) E(mjWARN_BADQACC) E(mjWARN_BADCTRL)
};
static const EnumValue joint_values[] = {E(mjJNT_FREE) E(mjJNT_BALL) E(mjJNT_SLIDE) E(mjJNT_HINGE)};
static const EnumValue geom_values[] = {
  E(mjGEOM_PLANE) E(mjGEOM_HFIELD) E(mjGEOM_SPHERE) E(mjGEOM_CAPSULE) E(mjGEOM_ELLIPSOID) E(mjGEOM_CYLINDER)
  E(mjGEOM_BOX) E(mjGEOM_MESH) E(mjGEOM_SDF)
};
#undef E

// ---- helpers ----

static napi_value make_string(napi_env env, const char *s) {
  napi_value v;
  if (napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v) != napi_ok) return NULL;
  return v;
}

static napi_value make_int(napi_env env, int64_t x) {
  napi_value v;
  if (napi_create_int64(env, x, &v) != napi_ok) return NULL;
  return v;
}

static napi_value struct_table(napi_env env, const StructField *fields, size_t n) {
  napi_value arr, row;
  if (napi_create_array_with_length(env, n, &arr) != napi_ok) return NULL;
  for (size_t i = 0; i < n; i++) {
    napi_create_array_with_length(env, 4, &row);
    napi_set_element(env, row, 0, make_string(env, fields[i].path));
    napi_set_element(env, row, 1, make_int(env, fields[i].type));
    napi_set_element(env, row, 2, make_int(env, (int64_t)fields[i].offset));
    napi_set_element(env, row, 3, make_int(env, fields[i].count));
    napi_set_element(env, arr, (uint32_t)i, row);
  }
  return arr;
}

static napi_value field_table(napi_env env, const Field *fields, size_t n) {
  napi_value arr, row;
  if (napi_create_array_with_length(env, n, &arr) != napi_ok) return NULL;
  for (size_t i = 0; i < n; i++) {
    napi_create_array_with_length(env, 2, &row);
    napi_set_element(env, row, 0, make_string(env, fields[i].name));
    napi_set_element(env, row, 1, make_int(env, fields[i].type));
    napi_set_element(env, arr, (uint32_t)i, row);
  }
  return arr;
}

static napi_value enum_object(napi_env env, const EnumValue *values, size_t n) {
  napi_value obj;
  if (napi_create_object(env, &obj) != napi_ok) return NULL;
  for (size_t i = 0; i < n; i++) napi_set_named_property(env, obj, values[i].name, make_int(env, values[i].value));
  return obj;
}

static bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  if (argc < want) {
    napi_throw_type_error(env, NULL, "too few arguments");
    return false;
  }
  return true;
}

static void *unwrap(napi_env env, napi_value v, const napi_type_tag *tag, const char *what) {
  bool ok = false;
  void *p = NULL;
  if (napi_check_object_type_tag(env, v, tag, &ok) != napi_ok || !ok || napi_get_value_external(env, v, &p) != napi_ok || !p) {
    napi_throw_type_error(env, NULL, what);
    return NULL;
  }
  return p;
}
#define MODEL(i) mjModel *m = unwrap(env, argv[i], &MODEL_TAG, "expected a live native mjModel"); if (!m) return NULL
#define DATA(i) mjData *d = unwrap(env, argv[i], &DATA_TAG, "expected a live native mjData"); if (!d) return NULL

static int get_int(napi_env env, napi_value v, int *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a number");
    return 0;
  }
  return 1;
}

// An ArrayBuffer over MuJoCo's own memory (empty when there is none).
static napi_value external_buffer(napi_env env, void *p, size_t bytes) {
  napi_value buf;
  if (!p || bytes == 0) {
    void *unused;
    if (napi_create_arraybuffer(env, 0, &unused, &buf) != napi_ok) return NULL;
    return buf;
  }
  if (napi_create_external_arraybuffer(env, p, bytes, NULL, NULL, &buf) != napi_ok) return NULL;
  return buf;
}

// ---- exported functions ----

// tables(): everything the JavaScript side needs to lay out views, once per thread.
static napi_value tables(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, enums;
  CHECK(env, napi_create_object(env, &obj));
  napi_set_named_property(env, obj, "version", make_string(env, mj_versionString()));
  napi_set_named_property(env, obj, "versionNumber", make_int(env, mj_version()));
  napi_set_named_property(env, obj, "headerVersion", make_int(env, mjVERSION_HEADER));
  napi_set_named_property(env, obj, "modelArrays", field_table(env, model_fields, NMODEL));
  napi_set_named_property(env, obj, "dataArrays", field_table(env, data_fields, NDATA));
  napi_set_named_property(env, obj, "modelStruct", struct_table(env, model_struct_fields, NMODEL_STRUCT));
  napi_set_named_property(env, obj, "dataStruct", struct_table(env, data_struct_fields, NDATA_STRUCT));
  napi_set_named_property(env, obj, "contact", struct_table(env, contact_fields, NCONTACT));
  napi_set_named_property(env, obj, "contactSize", make_int(env, sizeof(mjContact)));
  CHECK(env, napi_create_object(env, &enums));
  napi_set_named_property(env, enums, "mjtObj", enum_object(env, obj_values, sizeof obj_values / sizeof obj_values[0]));
  napi_set_named_property(env, enums, "mjtWarning", enum_object(env, warning_values, sizeof warning_values / sizeof warning_values[0]));
  napi_set_named_property(env, enums, "mjtJoint", enum_object(env, joint_values, sizeof joint_values / sizeof joint_values[0]));
  napi_set_named_property(env, enums, "mjtGeom", enum_object(env, geom_values, sizeof geom_values / sizeof geom_values[0]));
  napi_set_named_property(env, obj, "enums", enums);
  return obj;
}

// loadXML(xml): a compiled model from an XML string, through a VFS (mj_loadXML reads files).
static napi_value load_xml(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  size_t len = 0;
  CHECK(env, napi_get_value_string_utf8(env, argv[0], NULL, 0, &len));
  char *xml = malloc(len + 1);
  if (!xml) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, argv[0], xml, len + 1, &len);
  mjVFS vfs;
  mj_defaultVFS(&vfs);
  char error[1024] = "";
  mjModel *m = NULL;
  int added = mj_addBufferVFS(&vfs, "model.xml", xml, (int)len);
  free(xml);
  if (added != 0) {
    mj_deleteVFS(&vfs);
    napi_throw_error(env, NULL, "could not add the XML to MuJoCo's VFS");
    return NULL;
  }
  jmp_buf here;
  jmp_buf *outer = error_jump;
  if (setjmp(here)) {
    error_jump = outer;
    mj_deleteVFS(&vfs);
    napi_throw_error(env, NULL, error_text);
    return NULL;
  }
  error_jump = &here;
  m = mj_loadXML("model.xml", &vfs, error, sizeof error);
  error_jump = outer;
  mj_deleteVFS(&vfs);
  if (!m) {
    napi_throw_error(env, NULL, error[0] ? error : "mj_loadXML failed");
    return NULL;
  }
  napi_value ext;
  CHECK(env, napi_create_external(env, m, NULL, NULL, &ext));
  CHECK(env, napi_type_tag_object(env, ext, &MODEL_TAG));
  return ext;
}

// Detaches every view handed out over the object's memory, so a use after delete reads nothing.
static bool detach_all(napi_env env, napi_value list) {
  bool is_array = false;
  if (napi_is_array(env, list, &is_array) != napi_ok || !is_array) return true;
  uint32_t n = 0;
  napi_get_array_length(env, list, &n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value buf;
    bool detached = true;
    napi_get_element(env, list, i, &buf);
    if (napi_is_detached_arraybuffer(env, buf, &detached) == napi_ok && !detached) napi_detach_arraybuffer(env, buf);
  }
  return true;
}

// The external still holds the freed pointer: native.ts drops its handle here, so nothing calls with it again.
static napi_value delete_model(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  MODEL(0);
  detach_all(env, argv[1]);
  mj_deleteModel(m);
  return NULL;
}

static napi_value make_data(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  MODEL(0);
  mjData *d = NULL;
  GUARDED(env, d = mj_makeData(m));
  if (!d) {
    napi_throw_error(env, NULL, "mj_makeData failed");
    return NULL;
  }
  napi_value ext;
  CHECK(env, napi_create_external(env, d, NULL, NULL, &ext));
  CHECK(env, napi_type_tag_object(env, ext, &DATA_TAG));
  return ext;
}

static napi_value delete_data(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  DATA(0);
  detach_all(env, argv[1]);
  mj_deleteData(d);
  return NULL;
}

// modelArrays(m): one ArrayBuffer per entry of tables().modelArrays, over the model's memory.
static napi_value model_arrays(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  MODEL(0);
  size_t counts[NMODEL];
  model_counts(m, counts);
  napi_value arr;
  CHECK(env, napi_create_array_with_length(env, NMODEL, &arr));
  for (size_t i = 0; i < NMODEL; i++) {
    napi_value buf = external_buffer(env, model_pointer(m, (int)i), counts[i] * model_fields[i].elem);
    if (!buf) return NULL;
    napi_set_element(env, arr, (uint32_t)i, buf);
  }
  return arr;
}

// dataArrays(m, d): likewise for mjData's fixed arrays.
static napi_value data_arrays(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  MODEL(0);
  DATA(1);
  napi_value arr;
  CHECK(env, napi_create_array_with_length(env, NDATA, &arr));
  for (size_t i = 0; i < NDATA; i++) {
    napi_value buf = external_buffer(env, data_pointer(d, (int)i), data_count(m, (int)i) * data_fields[i].elem);
    if (!buf) return NULL;
    napi_set_element(env, arr, (uint32_t)i, buf);
  }
  return arr;
}

// The structs themselves (sizes, opt, vis, stat; time, ncon, warning), laid out by tables().*Struct.
static napi_value model_struct(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  MODEL(0);
  return external_buffer(env, m, sizeof(mjModel));
}

static napi_value data_struct(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  DATA(0);
  return external_buffer(env, d, sizeof(mjData));
}

// contacts(d): a copy of d->contact[0..ncon).
static napi_value contacts(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  DATA(0);
  size_t bytes = (size_t)(d->ncon > 0 ? d->ncon : 0) * sizeof(mjContact);
  void *out = NULL;
  napi_value buf;
  CHECK(env, napi_create_arraybuffer(env, bytes, &out, &buf));
  if (bytes) memcpy(out, d->contact, bytes);
  return buf;
}

#define STEP_FN(cname, call)                                   \
  static napi_value cname(napi_env env, napi_callback_info info) { \
    napi_value argv[2];                                        \
    if (!get_args(env, info, 2, argv)) return NULL;            \
    MODEL(0);                                                  \
    DATA(1);                                                   \
    GUARDED(env, call(m, d));                                  \
    return NULL;                                               \
  }
STEP_FN(step, mj_step)
STEP_FN(step1, mj_step1)
STEP_FN(step2, mj_step2)
STEP_FN(forward, mj_forward)
STEP_FN(reset_data, mj_resetData)

// stepN(m, d, n): n mj_step calls in one crossing (the bench's physics floor pays no JS per step).
static napi_value step_n(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  MODEL(0);
  DATA(1);
  int n;
  if (!get_int(env, argv[2], &n)) return NULL;
  GUARDED(env, for (int i = 0; i < n; i++) mj_step(m, d));
  return NULL;
}

static mjtNum *double_array(napi_env env, napi_value v, size_t need, const char *what) {
  napi_typedarray_type type;
  size_t length = 0;
  void *p = NULL;
  bool is_typed = false;
  napi_is_typedarray(env, v, &is_typed);
  if (!is_typed || napi_get_typedarray_info(env, v, &type, &length, &p, NULL, NULL) != napi_ok || type != napi_float64_array || length < need) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s must be a Float64Array of at least %zu numbers", what, need);
    napi_throw_type_error(env, NULL, msg);
    return NULL;
  }
  return p;
}

// jacSite(m, d, jacp, jacr, site): Float64Arrays of 3*nv (either may be null).
static napi_value jac_site(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, 5, argv)) return NULL;
  MODEL(0);
  DATA(1);
  int site;
  if (!get_int(env, argv[4], &site)) return NULL;
  if (site < 0 || site >= m->nsite) {
    napi_throw_range_error(env, NULL, "mj_jacSite: site id out of range");
    return NULL;
  }
  napi_valuetype t;
  mjtNum *jacp = NULL, *jacr = NULL;
  napi_typeof(env, argv[2], &t);
  if (t != napi_null && !(jacp = double_array(env, argv[2], 3 * m->nv, "jacp"))) return NULL;
  napi_typeof(env, argv[3], &t);
  if (t != napi_null && !(jacr = double_array(env, argv[3], 3 * m->nv, "jacr"))) return NULL;
  GUARDED(env, mj_jacSite(m, d, jacp, jacr, site));
  return NULL;
}

static napi_value name2id(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  MODEL(0);
  int type;
  if (!get_int(env, argv[1], &type)) return NULL;
  size_t len = 0;
  CHECK(env, napi_get_value_string_utf8(env, argv[2], NULL, 0, &len));
  char *name = malloc(len + 1);
  if (!name) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, argv[2], name, len + 1, &len);
  int id = mj_name2id(m, type, name);
  free(name);
  return make_int(env, id);
}

static napi_value id2name(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  MODEL(0);
  int type, id;
  if (!get_int(env, argv[1], &type) || !get_int(env, argv[2], &id)) return NULL;
  const char *name = mj_id2name(m, type, id);
  if (!name) {
    napi_value null;
    napi_get_null(env, &null);
    return null;
  }
  return make_string(env, name);
}

static napi_value total_mass(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  MODEL(0);
  napi_value v;
  CHECK(env, napi_create_double(env, mj_getTotalmass(m), &v));
  return v;
}

NAPI_MODULE_INIT() {
  static bool handler_set = false; // the handler is process-wide and the same for every thread
  if (!handler_set) {
    mju_user_error = on_mujoco_error;
    handler_set = true;
  }
  const napi_property_descriptor fns[] = {
    {"tables", NULL, tables, NULL, NULL, NULL, napi_default, NULL},
    {"loadXML", NULL, load_xml, NULL, NULL, NULL, napi_default, NULL},
    {"deleteModel", NULL, delete_model, NULL, NULL, NULL, napi_default, NULL},
    {"makeData", NULL, make_data, NULL, NULL, NULL, napi_default, NULL},
    {"deleteData", NULL, delete_data, NULL, NULL, NULL, napi_default, NULL},
    {"modelArrays", NULL, model_arrays, NULL, NULL, NULL, napi_default, NULL},
    {"dataArrays", NULL, data_arrays, NULL, NULL, NULL, napi_default, NULL},
    {"modelStruct", NULL, model_struct, NULL, NULL, NULL, napi_default, NULL},
    {"dataStruct", NULL, data_struct, NULL, NULL, NULL, napi_default, NULL},
    {"contacts", NULL, contacts, NULL, NULL, NULL, napi_default, NULL},
    {"step", NULL, step, NULL, NULL, NULL, napi_default, NULL},
    {"step1", NULL, step1, NULL, NULL, NULL, napi_default, NULL},
    {"step2", NULL, step2, NULL, NULL, NULL, napi_default, NULL},
    {"stepN", NULL, step_n, NULL, NULL, NULL, napi_default, NULL},
    {"forward", NULL, forward, NULL, NULL, NULL, napi_default, NULL},
    {"resetData", NULL, reset_data, NULL, NULL, NULL, napi_default, NULL},
    {"jacSite", NULL, jac_site, NULL, NULL, NULL, napi_default, NULL},
    {"name2id", NULL, name2id, NULL, NULL, NULL, napi_default, NULL},
    {"id2name", NULL, id2name, NULL, NULL, NULL, napi_default, NULL},
    {"totalMass", NULL, total_mass, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns) != napi_ok) return NULL;
  return exports;
}
