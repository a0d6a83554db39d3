/* espy-device-config.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-device-config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "espy-secret-string.h"

/* Includes nest at most this deep; deeper is treated like a loop. */
#define MAX_INCLUDE_DEPTH 16
/* Packages inside packages. */
#define MAX_PACKAGE_DEPTH 16
/* Nodes created while resolving includes, packages and substitutions: a
 * few times the per-file limit, so "include bombs" stop too. */
#define MAX_RESOLVED_NODES (4 * ESPY_YAML_MAX_NODES)

struct _EspyDeviceConfig
{
  GObject    parent_instance;

  GFile     *file;
  char      *file_name;

  char      *name;
  char      *friendly_name;
  char      *comment;
  gboolean   name_add_mac_suffix;
  char      *platform;
  char      *board;

  GPtrArray *ota;                 /* EspyConfigOta */

  gboolean   has_api;
  guint16    api_port;
  char      *api_key;             /* secret */
  char      *api_password;        /* secret */

  gboolean   has_web_server;
  guint16    web_port;
  char      *web_username;
  char      *web_password;        /* secret */
  gboolean   web_ota;

  char      *use_address;
  char      *static_ip;
  char      *address;
  gboolean   safe_mode;

  GStrv      remote_packages;
  GStrv      included_files;
  GStrv      warnings;

  gboolean   has_storage;
  char      *deployed_version;
  char      *firmware_bin_path;
  char      *storage_address;
  guint16    storage_web_port;
  char      *storage_name;
  GStrv      loaded_integrations;

  char      *digest;
};

G_DEFINE_FINAL_TYPE (EspyDeviceConfig, espy_device_config, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_FILE,
  PROP_NAME,
  PROP_FRIENDLY_NAME,
  PROP_COMMENT,
  PROP_PLATFORM,
  PROP_BOARD,
  PROP_DEPLOYED_VERSION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- Boxed types ------------------------------------------------------ */

EspyConfigLocation *
espy_config_location_copy (const EspyConfigLocation *location)
{
  EspyConfigLocation *copy;

  if (location == NULL)
    return NULL;
  copy = g_new0 (EspyConfigLocation, 1);
  copy->path = g_strdup (location->path);
  copy->line = location->line;
  copy->column = location->column;
  copy->secret_name = g_strdup (location->secret_name);
  copy->secret_path = g_strdup (location->secret_path);
  copy->secret_line = location->secret_line;
  copy->secret_column = location->secret_column;
  copy->substitution = g_strdup (location->substitution);
  copy->derived = location->derived;
  return copy;
}

void
espy_config_location_free (EspyConfigLocation *location)
{
  if (location == NULL)
    return;
  g_free (location->path);
  g_free (location->secret_name);
  g_free (location->secret_path);
  g_free (location->substitution);
  g_free (location);
}

G_DEFINE_BOXED_TYPE (EspyConfigLocation, espy_config_location,
                     espy_config_location_copy, espy_config_location_free)

EspyConfigOta *
espy_config_ota_copy (const EspyConfigOta *ota)
{
  EspyConfigOta *copy;

  if (ota == NULL)
    return NULL;
  copy = g_new0 (EspyConfigOta, 1);
  copy->platform = g_strdup (ota->platform);
  copy->id = g_strdup (ota->id);
  copy->port = ota->port;
  copy->version = ota->version;
  copy->password = g_strdup (ota->password);
  copy->password_location = espy_config_location_copy (ota->password_location);
  return copy;
}

void
espy_config_ota_free (EspyConfigOta *ota)
{
  if (ota == NULL)
    return;
  g_free (ota->platform);
  g_free (ota->id);
  espy_secret_string_clear (&ota->password);
  espy_config_location_free (ota->password_location);
  g_free (ota);
}

G_DEFINE_BOXED_TYPE (EspyConfigOta, espy_config_ota, espy_config_ota_copy, espy_config_ota_free)

/* ---- Loading context -------------------------------------------------- */

typedef struct {
  char         *folder;         /* real path of the configuration folder */
  GCancellable *cancellable;
  GPtrArray    *include_stack;  /* real paths of the files being read */
  GHashTable   *raw_files;      /* real path -> raw EspyYamlNode (each file read once) */
  GHashTable   *secrets;        /* directory real path -> EspyYamlNode, or NULL if none */
  GPtrArray    *included;       /* real paths read besides the device file */
  GPtrArray    *warnings;
  GPtrArray    *remote;
  GChecksum    *digest;
  guint         budget;
} Ctx;

static void
ctx_clear (Ctx *ctx)
{
  g_free (ctx->folder);
  g_clear_pointer (&ctx->include_stack, g_ptr_array_unref);
  g_clear_pointer (&ctx->raw_files, g_hash_table_unref);
  g_clear_pointer (&ctx->secrets, g_hash_table_unref);
  g_clear_pointer (&ctx->included, g_ptr_array_unref);
  g_clear_pointer (&ctx->warnings, g_ptr_array_unref);
  g_clear_pointer (&ctx->remote, g_ptr_array_unref);
  g_clear_pointer (&ctx->digest, g_checksum_free);
}

static void
unref_node_or_null (gpointer data)
{
  if (data != NULL)
    espy_yaml_node_unref (data);
}

static void
digest_file (Ctx        *ctx,
             const char *display,
             GBytes     *contents)
{
  gsize len = 0;
  const guchar *data = contents != NULL ? g_bytes_get_data (contents, &len) : NULL;

  g_checksum_update (ctx->digest, (const guchar *) display, strlen (display) + 1);
  if (data != NULL)
    g_checksum_update (ctx->digest, data, len);
  g_checksum_update (ctx->digest, (const guchar *) "\n--\n", 4);
}

/* "common/wifi.yaml" for a file inside the folder, else the path itself. */
static char *
display_name_for (Ctx        *ctx,
                  const char *real)
{
  gsize n = strlen (ctx->folder);

  if (strncmp (real, ctx->folder, n) == 0 && real[n] == G_DIR_SEPARATOR)
    return g_strdup (real + n + 1);
  return g_strdup (real);
}

static char *
absolute_path_for (Ctx        *ctx,
                   const char *display)
{
  if (display == NULL)
    return NULL;
  if (g_path_is_absolute (display))
    return g_strdup (display);
  return g_build_filename (ctx->folder, display, NULL);
}

static gboolean
is_inside_folder (Ctx        *ctx,
                  const char *path)
{
  gsize n = strlen (ctx->folder);

  return strncmp (path, ctx->folder, n) == 0 && path[n] == G_DIR_SEPARATOR;
}

static gboolean
spend (Ctx     *ctx,
       const EspyYamlNode *at,
       GError **error)
{
  if (++ctx->budget <= MAX_RESOLVED_NODES)
    return TRUE;
  g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_TOO_LARGE,
               _("%s:%u:%u: with its includes and packages the configuration grows past %u values; "
                 "refused"), at->file, at->line, at->column, MAX_RESOLVED_NODES);
  return FALSE;
}

static EspyYamlNode *
copy_deep (Ctx                *ctx,
           const EspyYamlNode *node,
           GError            **error)
{
  g_autoptr(EspyYamlNode) copy = NULL;

  if (!spend (ctx, node, error))
    return NULL;
  copy = espy_yaml_node_copy_shallow (node);
  if (node->items != NULL)
    for (guint i = 0; i < node->items->len; i++)
      {
        EspyYamlNode *child = copy_deep (ctx, g_ptr_array_index (node->items, i), error);

        if (child == NULL)
          return NULL;
        g_ptr_array_add (copy->items, child);
      }
  return g_steal_pointer (&copy);
}

static gboolean
tag_is (const EspyYamlNode *node,
        const char         *tag)
{
  return node->tag != NULL && strcmp (node->tag, tag) == 0;
}

/* ---- !secret ---------------------------------------------------------- */

/* The secrets.yaml of @dir (the directory of the file holding the
 * !secret, as ESPHome does), falling back to the folder's own. */
static EspyYamlNode *
secrets_for_dir (Ctx         *ctx,
                 const char  *dir,
                 GError     **error)
{
  const char *names[] = { "secrets.yaml", "secrets.yml" };
  EspyYamlNode *secrets = NULL;

  if (g_hash_table_lookup_extended (ctx->secrets, dir, NULL, (gpointer *) &secrets))
    {
      if (secrets == NULL && strcmp (dir, ctx->folder) != 0)
        return secrets_for_dir (ctx, ctx->folder, error);
      return secrets;
    }

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);
      g_autoptr(GFile) file = NULL;
      g_autofree char *display = NULL;
      g_autoptr(GBytes) contents = NULL;

      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        continue;
      file = g_file_new_for_path (path);
      display = display_name_for (ctx, path);
      secrets = espy_yaml_load_file (file, display, &contents, ctx->cancellable, error);
      if (secrets == NULL)
        return NULL;
      digest_file (ctx, display, contents);
      g_ptr_array_add (ctx->included, g_steal_pointer (&path));
      break;
    }
  g_hash_table_insert (ctx->secrets, g_strdup (dir), secrets);
  if (secrets == NULL && strcmp (dir, ctx->folder) != 0)
    return secrets_for_dir (ctx, ctx->folder, error);
  return secrets;
}

static EspyYamlNode *
resolve_secret (Ctx                *ctx,
                const EspyYamlNode *node,
                const char         *dir,
                GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  EspyYamlNode *secrets;
  EspyYamlNode *value;
  EspyYamlNode *copy;
  const char *name = node->value != NULL ? node->value : "";

  if (node->kind != ESPY_YAML_SCALAR || name[0] == '\0')
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INVALID,
                   _("%s:%u:%u: !secret needs the name of a secret"), node->file, node->line, node->column);
      return NULL;
    }
  secrets = secrets_for_dir (ctx, dir, &local_error);
  if (local_error != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _("%s:%u:%u: cannot read the secret \"%s\": "),
                                  node->file, node->line, node->column, name);
      return NULL;
    }
  if (secrets == NULL)
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_SECRET_MISSING,
                   _("%s:%u:%u: the secret \"%s\" is used but the folder has no secrets.yaml"),
                   node->file, node->line, node->column, name);
      return NULL;
    }
  value = espy_yaml_mapping_lookup (secrets, name);
  if (value == NULL)
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_SECRET_MISSING,
                   _("%s:%u:%u: the secret \"%s\" is not defined in %s"),
                   node->file, node->line, node->column, name, secrets->file);
      return NULL;
    }
  copy = copy_deep (ctx, value, error);
  if (copy == NULL)
    return NULL;
  /* The value now stands where "!secret NAME" was written. */
  g_clear_pointer (&copy->file, g_ref_string_release);
  copy->file = g_ref_string_acquire (node->file);
  copy->line = node->line;
  copy->column = node->column;
  g_free (copy->secret_name);
  copy->secret_name = g_strdup (name);
  g_clear_pointer (&copy->secret_file, g_ref_string_release);
  copy->secret_file = g_ref_string_acquire (value->file);
  copy->secret_line = value->line;
  copy->secret_column = value->column;
  return copy;
}

/* ---- Substitutions ---------------------------------------------------- */

static gboolean
is_var_char (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

/* Returns a new tree with ${NAME} and $NAME replaced, like ESPHome: a value
 * that is exactly one variable takes the variable's value (and type);
 * inside text it is replaced by its text; inserted text is not scanned
 * again. Unknown names stay as written (with a warning if @warn). */
static EspyYamlNode *
substitute (Ctx                *ctx,
            const EspyYamlNode *node,
            GHashTable         *vars,
            gboolean            warn,
            GError            **error)
{
  g_autoptr(EspyYamlNode) copy = NULL;
  g_autoptr(GString) out = NULL;
  const char *text;
  gsize i = 0;

  if (node->kind != ESPY_YAML_SCALAR || node->value == NULL || strchr (node->value, '$') == NULL)
    {
      if (!spend (ctx, node, error))
        return NULL;
      copy = espy_yaml_node_copy_shallow (node);
      if (node->items != NULL)
        for (guint k = 0; k < node->items->len; k++)
          {
            EspyYamlNode *child = substitute (ctx, g_ptr_array_index (node->items, k), vars, warn, error);

            if (child == NULL)
              return NULL;
            g_ptr_array_add (copy->items, child);
          }
      return g_steal_pointer (&copy);
    }

  text = node->value;
  out = g_string_new (NULL);
  while (text[i] != '\0')
    {
      gsize start = i;
      gsize name_start;
      gsize name_end;
      gsize end;
      g_autofree char *name = NULL;
      EspyYamlNode *value;

      if (text[i] != '$')
        {
          g_string_append_c (out, text[i++]);
          continue;
        }
      if (text[i + 1] == '{')
        {
          name_start = i + 2;
          name_end = name_start;
          while (is_var_char (text[name_end]))
            name_end++;
          if (text[name_end] != '}' || name_end == name_start)
            {
              g_string_append_c (out, text[i++]);
              continue;
            }
          end = name_end + 1;
        }
      else
        {
          name_start = i + 1;
          name_end = name_start;
          while (is_var_char (text[name_end]))
            name_end++;
          if (name_end == name_start)
            {
              g_string_append_c (out, text[i++]);
              continue;
            }
          end = name_end;
        }
      name = g_strndup (text + name_start, name_end - name_start);
      value = g_hash_table_lookup (vars, name);
      if (value == NULL)
        {
          if (warn)
            g_ptr_array_add (ctx->warnings,
                             g_strdup_printf (_("%s:%u:%u: unknown substitution \"%s\", left as written"),
                                              node->file, node->line, node->column, name));
          g_string_append_len (out, text + start, end - start);
          i = end;
          continue;
        }
      if (start == 0 && text[end] == '\0')
        {
          /* The whole value: keep the substitution's type and provenance. */
          copy = copy_deep (ctx, value, error);
          if (copy == NULL)
            return NULL;
          g_free (copy->substitution);
          copy->substitution = g_strdup (name);
          return g_steal_pointer (&copy);
        }
      if (value->kind == ESPY_YAML_SCALAR)
        g_string_append (out, value->value);
      else if (value->kind != ESPY_YAML_NULL)
        {
          g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INVALID,
                       _("%s:%u:%u: the substitution \"%s\" is a list or mapping and cannot be part of text"),
                       node->file, node->line, node->column, name);
          return NULL;
        }
      i = end;
    }

  if (!spend (ctx, node, error))
    return NULL;
  copy = espy_yaml_node_copy_shallow (node);
  g_free (copy->value);
  copy->value = g_string_free (g_steal_pointer (&out), FALSE);
  if (strcmp (copy->value, node->value) != 0)
    {
      copy->derived = TRUE;
      g_clear_pointer (&copy->secret_name, g_free);
      g_clear_pointer (&copy->secret_file, g_ref_string_release);
    }
  return g_steal_pointer (&copy);
}

/* name -> value node (borrowed from @mapping). */
static GHashTable *
vars_table (const EspyYamlNode *mapping)
{
  GHashTable *vars = g_hash_table_new (g_str_hash, g_str_equal);

  if (mapping != NULL && mapping->kind == ESPY_YAML_MAPPING)
    for (guint i = 0; i + 1 < mapping->items->len; i += 2)
      {
        EspyYamlNode *key = g_ptr_array_index (mapping->items, i);

        if (key->kind == ESPY_YAML_SCALAR)
          g_hash_table_insert (vars, key->value, g_ptr_array_index (mapping->items, i + 1));
      }
  return vars;
}

/* Substitution values may use earlier ones: expand them in order. Returns
 * a new mapping. */
static EspyYamlNode *
expand_vars (Ctx                *ctx,
             const EspyYamlNode *mapping,
             gboolean            warn,
             GError            **error)
{
  g_autoptr(EspyYamlNode) result = espy_yaml_node_copy_shallow (mapping);
  g_autoptr(GHashTable) vars = vars_table (mapping);

  for (guint i = 0; i + 1 < mapping->items->len; i += 2)
    {
      EspyYamlNode *key = g_ptr_array_index (mapping->items, i);
      g_autoptr(EspyYamlNode) value = substitute (ctx, g_ptr_array_index (mapping->items, i + 1),
                                                  vars, warn, error);

      if (value == NULL)
        return NULL;
      g_ptr_array_add (result->items, espy_yaml_node_ref (key));
      g_ptr_array_add (result->items, espy_yaml_node_ref (value));
      if (key->kind == ESPY_YAML_SCALAR)
        g_hash_table_insert (vars, key->value, value);
    }
  return g_steal_pointer (&result);
}

/* ---- !include and resolution ------------------------------------------ */

static EspyYamlNode *resolve (Ctx *ctx, const EspyYamlNode *node, const char *dir, GError **error);

static EspyYamlNode *
resolve_include (Ctx                *ctx,
                 const EspyYamlNode *node,
                 const char         *dir,
                 GError            **error)
{
  const EspyYamlNode *file_node = node;
  const EspyYamlNode *vars_node = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *lexical = NULL;
  g_autofree char *real = NULL;
  g_autofree char *display = NULL;
  g_autofree char *subdir = NULL;
  g_autoptr(EspyYamlNode) resolved = NULL;
  EspyYamlNode *raw;
  char real_buf[PATH_MAX];

  /* "!include {file: x.yaml, vars: {...}}" */
  if (node->kind == ESPY_YAML_MAPPING)
    {
      file_node = espy_yaml_mapping_lookup (node, "file");
      vars_node = espy_yaml_mapping_lookup (node, "vars");
    }
  if (file_node == NULL || file_node->kind != ESPY_YAML_SCALAR || file_node->value[0] == '\0')
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INVALID,
                   _("%s:%u:%u: !include needs a file name"), node->file, node->line, node->column);
      return NULL;
    }

  joined = g_path_is_absolute (file_node->value) ? g_strdup (file_node->value)
                                                 : g_build_filename (dir, file_node->value, NULL);
  lexical = g_canonicalize_filename (joined, NULL);
  if (!is_inside_folder (ctx, lexical))
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INCLUDE_OUTSIDE,
                   _("%s:%u:%u: !include %s is outside the configuration folder; refused"),
                   node->file, node->line, node->column, file_node->value);
      return NULL;
    }
  if (realpath (lexical, real_buf) == NULL)
    {
      int saved = errno;

      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INCLUDE_MISSING,
                   _("%s:%u:%u: cannot include %s: %s"),
                   node->file, node->line, node->column, file_node->value, g_strerror (saved));
      return NULL;
    }
  real = g_strdup (real_buf);
  /* A symbolic link may lead out even when the name looks inside. */
  if (!is_inside_folder (ctx, real))
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INCLUDE_OUTSIDE,
                   _("%s:%u:%u: !include %s leads outside the configuration folder (to %s); refused"),
                   node->file, node->line, node->column, file_node->value, real);
      return NULL;
    }
  display = display_name_for (ctx, real);

  for (guint i = 0; i < ctx->include_stack->len; i++)
    if (strcmp (g_ptr_array_index (ctx->include_stack, i), real) == 0)
      {
        g_autoptr(GString) chain = g_string_new (NULL);

        for (guint j = i; j < ctx->include_stack->len; j++)
          {
            g_autofree char *d = display_name_for (ctx, g_ptr_array_index (ctx->include_stack, j));

            g_string_append_printf (chain, "%s -> ", d);
          }
        g_string_append (chain, display);
        g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INCLUDE_LOOP,
                     _("%s:%u:%u: include loop: %s"), node->file, node->line, node->column, chain->str);
        return NULL;
      }
  if (ctx->include_stack->len > MAX_INCLUDE_DEPTH)
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INCLUDE_LOOP,
                   _("%s:%u:%u: includes are nested more than %u deep"),
                   node->file, node->line, node->column, MAX_INCLUDE_DEPTH);
      return NULL;
    }

  raw = g_hash_table_lookup (ctx->raw_files, real);
  if (raw == NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_path (real);
      g_autoptr(GBytes) contents = NULL;
      g_autoptr(GError) local_error = NULL;

      raw = espy_yaml_load_file (file, display, &contents, ctx->cancellable, &local_error);
      if (raw == NULL)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      _("%s:%u:%u: in the included file: "),
                                      node->file, node->line, node->column);
          return NULL;
        }
      digest_file (ctx, display, contents);
      g_hash_table_insert (ctx->raw_files, g_strdup (real), raw);
      g_ptr_array_add (ctx->included, g_strdup (real));
    }

  subdir = g_path_get_dirname (real);
  g_ptr_array_add (ctx->include_stack, g_strdup (real));
  resolved = resolve (ctx, raw, subdir, error);
  g_ptr_array_set_size (ctx->include_stack, ctx->include_stack->len - 1);
  if (resolved == NULL)
    return NULL;

  if (vars_node != NULL && vars_node->kind == ESPY_YAML_MAPPING)
    {
      g_autoptr(EspyYamlNode) vars_resolved = resolve (ctx, vars_node, dir, error);
      g_autoptr(EspyYamlNode) vars_expanded = NULL;
      g_autoptr(GHashTable) vars = NULL;

      if (vars_resolved == NULL)
        return NULL;
      vars_expanded = expand_vars (ctx, vars_resolved, FALSE, error);
      if (vars_expanded == NULL)
        return NULL;
      vars = vars_table (vars_expanded);
      /* Only the vars here: the rest waits for the global substitutions. */
      return substitute (ctx, resolved, vars, FALSE, error);
    }
  return g_steal_pointer (&resolved);
}

static EspyYamlNode *
resolve_env_var (Ctx                *ctx,
                 const EspyYamlNode *node,
                 GError            **error)
{
  g_auto(GStrv) parts = NULL;
  const char *value;
  EspyYamlNode *result;

  if (node->kind != ESPY_YAML_SCALAR)
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INVALID,
                   _("%s:%u:%u: !env_var needs a variable name"), node->file, node->line, node->column);
      return NULL;
    }
  if (!spend (ctx, node, error))
    return NULL;
  parts = g_strsplit (node->value, " ", 2);
  value = parts[0] != NULL ? g_getenv (parts[0]) : NULL;
  if (value == NULL && parts[0] != NULL)
    value = parts[1];
  if (value == NULL)
    return espy_yaml_node_new (ESPY_YAML_NULL, node->file, node->line, node->column);
  result = espy_yaml_node_new (ESPY_YAML_SCALAR, node->file, node->line, node->column);
  result->value = g_strdup (value);
  result->derived = TRUE;
  return result;
}

/* A new tree with !secret, !include and !env_var replaced. @dir is the
 * directory of the file @node comes from. */
static EspyYamlNode *
resolve (Ctx                *ctx,
         const EspyYamlNode *node,
         const char         *dir,
         GError            **error)
{
  g_autoptr(EspyYamlNode) copy = NULL;

  if (g_cancellable_set_error_if_cancelled (ctx->cancellable, error))
    return NULL;
  if (tag_is (node, "!secret"))
    return resolve_secret (ctx, node, dir, error);
  if (tag_is (node, "!include"))
    return resolve_include (ctx, node, dir, error);
  if (tag_is (node, "!env_var"))
    return resolve_env_var (ctx, node, error);

  if (!spend (ctx, node, error))
    return NULL;
  copy = espy_yaml_node_copy_shallow (node);
  if (node->items != NULL)
    for (guint i = 0; i < node->items->len; i++)
      {
        EspyYamlNode *child = resolve (ctx, g_ptr_array_index (node->items, i), dir, error);

        if (child == NULL)
          return NULL;
        g_ptr_array_add (copy->items, child);
      }
  return g_steal_pointer (&copy);
}

/* ---- packages: -------------------------------------------------------- */

static const char *
item_id (const EspyYamlNode *item)
{
  EspyYamlNode *id = espy_yaml_mapping_lookup (item, "id");

  return id != NULL && id->kind == ESPY_YAML_SCALAR ? id->value : NULL;
}

/* ESPHome's merge_config: mappings merge key by key (@new wins), lists
 * concatenate (an item whose id: is "!extend X" merges into item X, one
 * with "!remove X" removes it), a null in @new keeps @old. Nodes may end up
 * shared between trees; nothing below modifies them in place. */
static EspyYamlNode *
merge (const EspyYamlNode *old,
       EspyYamlNode       *new)
{
  if (new->kind == ESPY_YAML_MAPPING)
    {
      EspyYamlNode *res;

      if (old == NULL || old->kind != ESPY_YAML_MAPPING)
        return espy_yaml_node_ref (new);
      res = espy_yaml_node_copy_shallow (old);
      for (guint i = 0; i < old->items->len; i++)
        g_ptr_array_add (res->items, espy_yaml_node_ref (g_ptr_array_index (old->items, i)));
      for (guint i = 0; i + 1 < new->items->len; i += 2)
        {
          EspyYamlNode *key = g_ptr_array_index (new->items, i);
          EspyYamlNode *value = g_ptr_array_index (new->items, i + 1);
          EspyYamlNode *prev = key->kind == ESPY_YAML_SCALAR ? espy_yaml_mapping_lookup (res, key->value) : NULL;
          g_autoptr(EspyYamlNode) merged = NULL;

          if (tag_is (value, "!remove"))
            {
              if (key->kind == ESPY_YAML_SCALAR)
                espy_yaml_mapping_remove (res, key->value);
              continue;
            }
          merged = prev != NULL ? merge (prev, value) : espy_yaml_node_ref (value);
          espy_yaml_mapping_set (res, key, merged);
        }
      return res;
    }

  if (new->kind == ESPY_YAML_SEQUENCE)
    {
      EspyYamlNode *res;

      if (old == NULL || old->kind != ESPY_YAML_SEQUENCE)
        return espy_yaml_node_ref (new);
      res = espy_yaml_node_copy_shallow (old);
      for (guint i = 0; i < old->items->len; i++)
        g_ptr_array_add (res->items, espy_yaml_node_ref (g_ptr_array_index (old->items, i)));
      for (guint i = 0; i < new->items->len; i++)
        {
          EspyYamlNode *item = g_ptr_array_index (new->items, i);
          EspyYamlNode *id = espy_yaml_mapping_lookup (item, "id");
          gboolean extend = id != NULL && tag_is (id, "!extend");
          gboolean remove = id != NULL && tag_is (id, "!remove");
          gboolean found = FALSE;

          if (extend || remove)
            for (guint j = 0; j < res->items->len && !found; j++)
              {
                EspyYamlNode *target = g_ptr_array_index (res->items, j);

                if (g_strcmp0 (item_id (target), id->value) != 0)
                  continue;
                found = TRUE;
                if (remove)
                  g_ptr_array_remove_index (res->items, j);
                else
                  {
                    g_autoptr(EspyYamlNode) patch = espy_yaml_node_copy_shallow (item);

                    /* Merge everything but the !extend id itself. */
                    for (guint k = 0; k + 1 < item->items->len; k += 2)
                      if (g_ptr_array_index (item->items, k + 1) != id)
                        {
                          g_ptr_array_add (patch->items, espy_yaml_node_ref (g_ptr_array_index (item->items, k)));
                          g_ptr_array_add (patch->items, espy_yaml_node_ref (g_ptr_array_index (item->items, k + 1)));
                        }
                    g_ptr_array_index (res->items, j) = merge (target, patch);
                    espy_yaml_node_unref (target);
                  }
              }
          if (!found && !remove)
            g_ptr_array_add (res->items, espy_yaml_node_ref (item));
        }
      return res;
    }

  if (new->kind == ESPY_YAML_NULL && old != NULL)
    return espy_yaml_node_ref ((EspyYamlNode *) old);
  return espy_yaml_node_ref (new);
}

static char *
describe_remote (const EspyYamlNode *package)
{
  EspyYamlNode *url;
  EspyYamlNode *ref;

  if (package->kind == ESPY_YAML_SCALAR)
    return g_strdup (package->value);
  url = espy_yaml_mapping_lookup (package, "url");
  ref = espy_yaml_mapping_lookup (package, "ref");
  if (ref != NULL && ref->kind == ESPY_YAML_SCALAR)
    return g_strdup_printf ("%s@%s", url->value, ref->value);
  return g_strdup (url->value);
}

static gboolean
is_remote_package (const EspyYamlNode *package)
{
  EspyYamlNode *url;

  if (package->kind == ESPY_YAML_SCALAR)
    return strstr (package->value, "://") != NULL;
  url = espy_yaml_mapping_lookup (package, "url");
  return url != NULL && url->kind == ESPY_YAML_SCALAR;
}

/* ESPHome's do_packages_pass: packages merge under the config (the config
 * wins), earlier packages win over later ones, packages nest. Takes a
 * mapping, returns a new reference. */
static EspyYamlNode *
apply_packages (Ctx           *ctx,
                EspyYamlNode  *config,
                guint          depth,
                GError       **error)
{
  EspyYamlNode *packages = espy_yaml_mapping_lookup (config, "packages");
  g_autoptr(EspyYamlNode) result = NULL;
  g_autoptr(GPtrArray) list = NULL;

  if (packages == NULL)
    return espy_yaml_node_ref (config);
  if (depth > MAX_PACKAGE_DEPTH)
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INCLUDE_LOOP,
                   _("%s:%u:%u: packages are nested more than %u deep"),
                   packages->file, packages->line, packages->column, MAX_PACKAGE_DEPTH);
      return NULL;
    }
  if (packages->kind == ESPY_YAML_NULL)
    {
      result = espy_yaml_node_ref (config);
      goto out;
    }

  list = g_ptr_array_new ();
  if (packages->kind == ESPY_YAML_MAPPING)
    for (guint i = 1; i < packages->items->len; i += 2)
      g_ptr_array_add (list, g_ptr_array_index (packages->items, i));
  else if (packages->kind == ESPY_YAML_SEQUENCE)
    for (guint i = 0; i < packages->items->len; i++)
      g_ptr_array_add (list, g_ptr_array_index (packages->items, i));
  else if (is_remote_package (packages))
    g_ptr_array_add (list, packages);
  else
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INVALID,
                   _("%s:%u:%u: packages: must be a mapping of package names to packages"),
                   packages->file, packages->line, packages->column);
      return NULL;
    }

  result = espy_yaml_node_ref (config);
  for (guint i = list->len; i > 0; i--)
    {
      EspyYamlNode *package = g_ptr_array_index (list, i - 1);
      g_autoptr(EspyYamlNode) expanded = NULL;
      EspyYamlNode *merged;

      if (package->kind == ESPY_YAML_NULL)
        continue;
      if (is_remote_package (package))
        {
          g_autofree char *what = describe_remote (package);

          g_ptr_array_add (ctx->remote, g_strdup_printf (_("%s (remote, not read)"), what));
          continue;
        }
      if (package->kind != ESPY_YAML_MAPPING)
        {
          g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INVALID,
                       _("%s:%u:%u: a package must be a mapping (for example \"!include common.yaml\")"),
                       package->file, package->line, package->column);
          return NULL;
        }
      expanded = apply_packages (ctx, package, depth + 1, error);
      if (expanded == NULL)
        return NULL;
      merged = merge (expanded, result);
      espy_yaml_node_unref (result);
      result = merged;
    }

out:
  {
    /* packages: is consumed; drop it from a private copy of the mapping. */
    EspyYamlNode *copy = espy_yaml_node_copy_shallow (result);

    for (guint i = 0; i < result->items->len; i++)
      g_ptr_array_add (copy->items, espy_yaml_node_ref (g_ptr_array_index (result->items, i)));
    espy_yaml_mapping_remove (copy, "packages");
    return copy;
  }
}

/* ---- Reading values --------------------------------------------------- */

static gboolean
read_string (const EspyYamlNode  *node,
             const char          *what,
             char               **out,
             GError             **error)
{
  g_assert (*out == NULL);
  if (node == NULL || node->kind == ESPY_YAML_NULL)
    return TRUE;
  if (node->kind != ESPY_YAML_SCALAR)
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INVALID,
                   _("%s:%u:%u: %s must be a single value, not a list or mapping"),
                   node->file, node->line, node->column, what);
      return FALSE;
    }
  *out = g_strdup (node->value);
  return TRUE;
}

static gboolean
read_port (const EspyYamlNode  *node,
           const char          *what,
           guint16             *out,
           GError             **error)
{
  guint64 value = 0;

  if (node == NULL || node->kind == ESPY_YAML_NULL)
    return TRUE;
  if (node->kind != ESPY_YAML_SCALAR
      || !g_ascii_string_to_unsigned (node->value, 10, 1, 65535, &value, NULL))
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INVALID,
                   _("%s:%u:%u: %s must be a port number from 1 to 65535"),
                   node->file, node->line, node->column, what);
      return FALSE;
    }
  *out = (guint16) value;
  return TRUE;
}

static gboolean
read_bool (const EspyYamlNode  *node,
           const char          *what,
           gboolean            *out,
           GError             **error)
{
  const char *truthy[] = { "true", "yes", "on", "enable", "1" };
  const char *falsy[] = { "false", "no", "off", "disable", "0" };

  if (node == NULL || node->kind == ESPY_YAML_NULL)
    return TRUE;
  if (node->kind == ESPY_YAML_SCALAR)
    {
      for (guint i = 0; i < G_N_ELEMENTS (truthy); i++)
        if (g_ascii_strcasecmp (node->value, truthy[i]) == 0)
          {
            *out = TRUE;
            return TRUE;
          }
      for (guint i = 0; i < G_N_ELEMENTS (falsy); i++)
        if (g_ascii_strcasecmp (node->value, falsy[i]) == 0)
          {
            *out = FALSE;
            return TRUE;
          }
    }
  g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INVALID,
               _("%s:%u:%u: %s must be true or false"), node->file, node->line, node->column, what);
  return FALSE;
}

static gboolean
check_mapping (const EspyYamlNode  *node,
               const char          *what,
               GError             **error)
{
  if (node == NULL || node->kind == ESPY_YAML_NULL || node->kind == ESPY_YAML_MAPPING)
    return TRUE;
  g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INVALID,
               _("%s:%u:%u: %s must be a mapping"), node->file, node->line, node->column, what);
  return FALSE;
}

static EspyConfigLocation *
location_for (Ctx                *ctx,
              const EspyYamlNode *node)
{
  EspyConfigLocation *location = g_new0 (EspyConfigLocation, 1);

  location->path = absolute_path_for (ctx, node->file);
  location->line = node->line;
  location->column = node->column;
  location->secret_name = g_strdup (node->secret_name);
  location->secret_path = absolute_path_for (ctx, node->secret_file);
  location->secret_line = node->secret_line;
  location->secret_column = node->secret_column;
  location->substitution = g_strdup (node->substitution);
  location->derived = node->derived;
  return location;
}

static gboolean
read_ota_entry (Ctx                *ctx,
                const EspyYamlNode *entry,
                const char         *default_platform,
                GPtrArray          *out,
                GError            **error)
{
  g_autoptr(EspyConfigOta) ota = g_new0 (EspyConfigOta, 1);
  EspyYamlNode *password = espy_yaml_mapping_lookup (entry, "password");
  EspyYamlNode *version = espy_yaml_mapping_lookup (entry, "version");

  if (!read_string (espy_yaml_mapping_lookup (entry, "platform"), "ota: platform", &ota->platform, error)
      || !read_string (espy_yaml_mapping_lookup (entry, "id"), "ota: id", &ota->id, error)
      || !read_port (espy_yaml_mapping_lookup (entry, "port"), "ota: port", &ota->port, error)
      || !read_string (password, "ota: password", &ota->password, error))
    return FALSE;

  if (ota->platform == NULL)
    {
      if (default_platform == NULL)
        {
          g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INVALID,
                       _("%s:%u:%u: this ota: entry has no platform: (esphome, web_server, ...)"),
                       entry->file, entry->line, entry->column);
          return FALSE;
        }
      ota->platform = g_strdup (default_platform);
    }
  if (version != NULL && version->kind != ESPY_YAML_NULL)
    {
      guint64 v = 0;

      if (version->kind != ESPY_YAML_SCALAR
          || !g_ascii_string_to_unsigned (version->value, 10, 1, 2, &v, NULL))
        {
          g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INVALID,
                       _("%s:%u:%u: ota: version must be 1 or 2"),
                       version->file, version->line, version->column);
          return FALSE;
        }
      ota->version = (guint) v;
    }
  if (ota->password != NULL)
    ota->password_location = location_for (ctx, password);
  g_ptr_array_add (out, g_steal_pointer (&ota));
  return TRUE;
}

static gboolean
read_ota (Ctx                 *ctx,
          const EspyYamlNode  *root,
          GPtrArray           *out,
          GError             **error)
{
  EspyYamlNode *ota = espy_yaml_mapping_lookup (root, "ota");
  g_autoptr(EspyYamlNode) empty = NULL;

  if (ota == NULL)
    return TRUE;
  /* !include and !secret are resolved by now; ESPHome refuses any other
   * local tag here, and an edit could not keep its meaning. */
  if (ota->tag != NULL && ota->tag[0] == '!')
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INVALID,
                   _("%s:%u:%u: ota: has the tag %s, which ESPHome does not understand here: remove it"),
                   ota->file, ota->line, ota->column, ota->tag);
      return FALSE;
    }

  switch (ota->kind)
    {
    case ESPY_YAML_NULL:
      /* "ota:" alone: the legacy native OTA with defaults. */
      empty = espy_yaml_node_new (ESPY_YAML_MAPPING, ota->file, ota->line, ota->column);
      return read_ota_entry (ctx, empty, "esphome", out, error);

    case ESPY_YAML_MAPPING:
      /* Legacy map form (before 2024.6): one native OTA entry. */
      return read_ota_entry (ctx, ota, "esphome", out, error);

    case ESPY_YAML_SEQUENCE:
      for (guint i = 0; i < ota->items->len; i++)
        {
          EspyYamlNode *entry = g_ptr_array_index (ota->items, i);

          if (entry->kind != ESPY_YAML_MAPPING)
            {
              g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INVALID,
                           _("%s:%u:%u: each ota: entry must be a mapping with platform:"),
                           entry->file, entry->line, entry->column);
              return FALSE;
            }
          if (!read_ota_entry (ctx, entry, NULL, out, error))
            return FALSE;
        }
      return TRUE;

    case ESPY_YAML_SCALAR:
    default:
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INVALID,
                   _("%s:%u:%u: ota: must be a list of entries (- platform: esphome)"),
                   ota->file, ota->line, ota->column);
      return FALSE;
    }
}

static const struct {
  const char *key;
  const char *platform;
} platforms[] = {
  { "esp32", "ESP32" },
  { "esp8266", "ESP8266" },
  { "rp2040", "RP2040" },
  { "bk72xx", "BK72XX" },
  { "rtl87xx", "RTL87XX" },
  { "ln882x", "LN882X" },
  { "libretiny", "LIBRETINY" },
  { "host", "host" },
};

static gboolean
read_network (EspyDeviceConfig    *self,
              const EspyYamlNode  *root,
              GError             **error)
{
  const char *blocks[] = { "wifi", "ethernet" };

  for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
    {
      EspyYamlNode *block = espy_yaml_mapping_lookup (root, blocks[i]);
      EspyYamlNode *manual_ip;
      g_autofree char *use_address = NULL;
      g_autofree char *static_ip = NULL;
      g_autofree char *what_use = g_strdup_printf ("%s: use_address", blocks[i]);
      g_autofree char *what_ip = g_strdup_printf ("%s: manual_ip: static_ip", blocks[i]);

      if (block == NULL || !check_mapping (block, blocks[i], error))
        {
          if (block != NULL)
            return FALSE;
          continue;
        }
      manual_ip = espy_yaml_mapping_lookup (block, "manual_ip");
      if (!check_mapping (manual_ip, "manual_ip", error)
          || !read_string (espy_yaml_mapping_lookup (block, "use_address"), what_use, &use_address, error)
          || !read_string (espy_yaml_mapping_lookup (manual_ip, "static_ip"), what_ip, &static_ip, error))
        return FALSE;
      if (self->use_address == NULL)
        self->use_address = g_steal_pointer (&use_address);
      if (self->static_ip == NULL)
        self->static_ip = g_steal_pointer (&static_ip);
    }
  return TRUE;
}

static gboolean
read_config (EspyDeviceConfig    *self,
             Ctx                 *ctx,
             const EspyYamlNode  *root,
             GError             **error)
{
  EspyYamlNode *esphome = espy_yaml_mapping_lookup (root, "esphome");
  EspyYamlNode *api = espy_yaml_mapping_lookup (root, "api");
  EspyYamlNode *web = espy_yaml_mapping_lookup (root, "web_server");
  EspyYamlNode *auth = espy_yaml_mapping_lookup (web, "auth");
  EspyYamlNode *encryption = espy_yaml_mapping_lookup (api, "encryption");

  if (!check_mapping (esphome, "esphome:", error)
      || !read_string (espy_yaml_mapping_lookup (esphome, "name"), "esphome: name", &self->name, error)
      || !read_string (espy_yaml_mapping_lookup (esphome, "friendly_name"), "esphome: friendly_name",
                       &self->friendly_name, error)
      || !read_string (espy_yaml_mapping_lookup (esphome, "comment"), "esphome: comment", &self->comment, error)
      || !read_bool (espy_yaml_mapping_lookup (esphome, "name_add_mac_suffix"), "esphome: name_add_mac_suffix",
                     &self->name_add_mac_suffix, error))
    return FALSE;
  if (self->name == NULL || self->name[0] == '\0')
    {
      if (esphome != NULL)
        g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_NO_NAME,
                     _("%s:%u:%u: esphome: has no name: (the device's node name)"),
                     esphome->file, esphome->line, esphome->column);
      else
        g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_NO_NAME,
                     _("%s: there is no esphome: block with the device's name:"), self->file_name);
      return FALSE;
    }

  /* A key written with no value ("esp32:") looks up as a NULL node, so
   * presence is lookup != NULL. */
  for (guint i = 0; i < G_N_ELEMENTS (platforms); i++)
    {
      EspyYamlNode *block = espy_yaml_mapping_lookup (root, platforms[i].key);

      if (block == NULL)
        continue;
      self->platform = g_strdup (platforms[i].platform);
      if (!check_mapping (block, platforms[i].key, error)
          || !read_string (espy_yaml_mapping_lookup (block, "board"), "board", &self->board, error))
        return FALSE;
      break;
    }
  if (self->platform == NULL && espy_yaml_mapping_lookup (esphome, "platform") != NULL)
    {
      /* Before 2022.x the platform lived in esphome: itself. */
      g_autofree char *old = NULL;

      if (!read_string (espy_yaml_mapping_lookup (esphome, "platform"), "esphome: platform", &old, error)
          || !read_string (espy_yaml_mapping_lookup (esphome, "board"), "esphome: board", &self->board, error))
        return FALSE;
      self->platform = old != NULL ? g_ascii_strup (old, -1) : NULL;
    }

  if (!read_ota (ctx, root, self->ota, error))
    return FALSE;

  self->api_port = ESPY_DEVICE_CONFIG_DEFAULT_API_PORT;
  if (api != NULL)
    {
      g_autofree char *key = NULL;
      g_autofree char *password = NULL;

      self->has_api = TRUE;
      if (!check_mapping (api, "api:", error)
          || !check_mapping (encryption, "api: encryption:", error)
          || !read_port (espy_yaml_mapping_lookup (api, "port"), "api: port", &self->api_port, error)
          || !read_string (espy_yaml_mapping_lookup (encryption, "key"), "api: encryption: key", &key, error)
          || !read_string (espy_yaml_mapping_lookup (api, "password"), "api: password", &password, error))
        {
          espy_secret_string_clear (&key);
          espy_secret_string_clear (&password);
          return FALSE;
        }
      self->api_key = g_steal_pointer (&key);
      self->api_password = g_steal_pointer (&password);
    }

  self->web_port = ESPY_DEVICE_CONFIG_DEFAULT_WEB_PORT;
  self->web_ota = TRUE;
  if (web != NULL)
    {
      g_autofree char *password = NULL;

      self->has_web_server = TRUE;
      if (!check_mapping (web, "web_server:", error)
          || !check_mapping (auth, "web_server: auth:", error)
          || !read_port (espy_yaml_mapping_lookup (web, "port"), "web_server: port", &self->web_port, error)
          || !read_bool (espy_yaml_mapping_lookup (web, "ota"), "web_server: ota", &self->web_ota, error)
          || !read_string (espy_yaml_mapping_lookup (auth, "username"), "web_server: auth: username",
                           &self->web_username, error)
          || !read_string (espy_yaml_mapping_lookup (auth, "password"), "web_server: auth: password",
                           &password, error))
        {
          espy_secret_string_clear (&password);
          return FALSE;
        }
      self->web_password = g_steal_pointer (&password);
    }
  else
    self->web_ota = FALSE;

  if (!read_network (self, root, error))
    return FALSE;
  if (self->use_address != NULL)
    self->address = g_strdup (self->use_address);
  else if (self->static_ip != NULL)
    self->address = g_strdup (self->static_ip);
  else
    self->address = g_strconcat (self->name, ".local", NULL);

  self->safe_mode = espy_yaml_mapping_lookup (root, "safe_mode") != NULL;
  return TRUE;
}

static char *
json_string (JsonObject *object,
             const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (node));
}

/* .esphome/storage/<file>.json is ESPHome's, not the user's: a broken one
 * is ignored rather than failing the device. */
static void
read_storage (EspyDeviceConfig *self,
              Ctx              *ctx)
{
  g_autofree char *json_name = g_strconcat (self->file_name, ".json", NULL);
  g_autofree char *path = g_build_filename (ctx->folder, ".esphome", "storage", json_name, NULL);
  g_autofree char *display = g_build_filename (".esphome", "storage", json_name, NULL);
  g_autofree char *data = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;
  JsonNode *node;
  gsize len = 0;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      digest_file (ctx, display, NULL);
      return;
    }
  if (!g_file_get_contents (path, &data, &len, &error) || len > ESPY_YAML_MAX_FILE_SIZE)
    {
      g_debug ("Ignoring %s: %s", display, error != NULL ? error->message : "too large");
      return;
    }
  bytes = g_bytes_new_static (data, len);
  digest_file (ctx, display, bytes);

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, &error))
    {
      g_debug ("Ignoring %s: %s", display, error->message);
      return;
    }
  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  object = json_node_get_object (node);

  self->has_storage = TRUE;
  self->deployed_version = json_string (object, "esphome_version");
  self->firmware_bin_path = json_string (object, "firmware_bin_path");
  self->storage_address = json_string (object, "address");
  self->storage_name = json_string (object, "name");

  node = json_object_get_member (object, "web_port");
  if (node != NULL && JSON_NODE_TYPE (node) == JSON_NODE_VALUE
      && json_node_get_value_type (node) == G_TYPE_INT64
      && json_node_get_int (node) > 0 && json_node_get_int (node) <= 65535)
    self->storage_web_port = (guint16) json_node_get_int (node);

  node = json_object_get_member (object, "loaded_integrations");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);

          if (JSON_NODE_TYPE (item) == JSON_NODE_VALUE && json_node_get_value_type (item) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (item));
        }
      self->loaded_integrations = g_strv_builder_end (builder);
    }
}

static GStrv
strv_from_array (GPtrArray *array)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < array->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (array, i));
  return g_strv_builder_end (builder);
}

static gboolean
load (EspyDeviceConfig  *self,
      GCancellable      *cancellable,
      GError           **error)
{
  Ctx ctx = { 0 };
  g_autoptr(GFile) parent = g_file_get_parent (self->file);
  g_autofree char *parent_path = parent != NULL ? g_file_get_path (parent) : NULL;
  g_autofree char *real = NULL;
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(EspyYamlNode) raw = NULL;
  g_autoptr(EspyYamlNode) resolved = NULL;
  g_autoptr(EspyYamlNode) merged = NULL;
  g_autoptr(EspyYamlNode) root = NULL;
  EspyYamlNode *subs;
  char real_buf[PATH_MAX];
  gboolean ok = FALSE;

  if (parent_path == NULL || realpath (parent_path, real_buf) == NULL)
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_IO,
                   _("%s: the folder of this file cannot be read"), self->file_name);
      return FALSE;
    }

  ctx.folder = g_strdup (real_buf);
  ctx.cancellable = cancellable;
  ctx.include_stack = g_ptr_array_new_with_free_func (g_free);
  ctx.raw_files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, unref_node_or_null);
  ctx.secrets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, unref_node_or_null);
  ctx.included = g_ptr_array_new_with_free_func (g_free);
  ctx.warnings = g_ptr_array_new_with_free_func (g_free);
  ctx.remote = g_ptr_array_new_with_free_func (g_free);
  ctx.digest = g_checksum_new (G_CHECKSUM_SHA256);

  raw = espy_yaml_load_file (self->file, self->file_name, &contents, cancellable, error);
  if (raw == NULL)
    goto out;
  digest_file (&ctx, self->file_name, contents);
  if (raw->kind != ESPY_YAML_MAPPING)
    {
      if (raw->kind == ESPY_YAML_NULL)
        g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_NO_NAME,
                     _("%s: the file is empty; a device configuration starts with esphome: name:"),
                     self->file_name);
      else
        g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INVALID,
                     _("%s:%u:%u: a device configuration must be a mapping (esphome:, wifi:, ...)"),
                     self->file_name, raw->line, raw->column);
      goto out;
    }

  /* The device file itself counts for include loops. */
  real = g_build_filename (ctx.folder, self->file_name, NULL);
  g_ptr_array_add (ctx.include_stack, realpath (real, real_buf) != NULL ? g_strdup (real_buf) : g_strdup (real));

  resolved = resolve (&ctx, raw, ctx.folder, error);
  if (resolved == NULL)
    goto out;
  if (resolved->kind != ESPY_YAML_MAPPING)
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INVALID,
                   _("%s:%u:%u: a device configuration must be a mapping"),
                   self->file_name, resolved->line, resolved->column);
      goto out;
    }
  merged = apply_packages (&ctx, resolved, 0, error);
  if (merged == NULL)
    goto out;

  subs = espy_yaml_mapping_lookup (merged, "substitutions");
  if (subs != NULL && subs->kind == ESPY_YAML_MAPPING)
    {
      g_autoptr(EspyYamlNode) expanded = expand_vars (&ctx, subs, TRUE, error);
      g_autoptr(GHashTable) vars = NULL;

      if (expanded == NULL)
        goto out;
      vars = vars_table (expanded);
      root = substitute (&ctx, merged, vars, TRUE, error);
      if (root == NULL)
        goto out;
    }
  else if (subs != NULL && subs->kind != ESPY_YAML_NULL)
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_INVALID,
                   _("%s:%u:%u: substitutions: must be a mapping of names to values"),
                   subs->file, subs->line, subs->column);
      goto out;
    }
  else
    root = espy_yaml_node_ref (merged);

  if (!read_config (self, &ctx, root, error))
    goto out;
  read_storage (self, &ctx);

  self->remote_packages = strv_from_array (ctx.remote);
  self->included_files = strv_from_array (ctx.included);
  self->warnings = strv_from_array (ctx.warnings);
  self->digest = g_strdup (g_checksum_get_string (ctx.digest));
  ok = TRUE;

out:
  ctx_clear (&ctx);
  return ok;
}

/* ---- GObject ---------------------------------------------------------- */

static void
espy_device_config_finalize (GObject *object)
{
  EspyDeviceConfig *self = (EspyDeviceConfig *) object;

  g_clear_object (&self->file);
  g_free (self->file_name);
  g_free (self->name);
  g_free (self->friendly_name);
  g_free (self->comment);
  g_free (self->platform);
  g_free (self->board);
  g_clear_pointer (&self->ota, g_ptr_array_unref);
  espy_secret_string_clear (&self->api_key);
  espy_secret_string_clear (&self->api_password);
  g_free (self->web_username);
  espy_secret_string_clear (&self->web_password);
  g_free (self->use_address);
  g_free (self->static_ip);
  g_free (self->address);
  g_strfreev (self->remote_packages);
  g_strfreev (self->included_files);
  g_strfreev (self->warnings);
  g_free (self->deployed_version);
  g_free (self->firmware_bin_path);
  g_free (self->storage_address);
  g_free (self->storage_name);
  g_strfreev (self->loaded_integrations);
  g_free (self->digest);

  G_OBJECT_CLASS (espy_device_config_parent_class)->finalize (object);
}

static void
espy_device_config_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  EspyDeviceConfig *self = ESPY_DEVICE_CONFIG (object);

  switch (prop_id)
    {
    case PROP_FILE:
      g_value_set_object (value, self->file);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_FRIENDLY_NAME:
      g_value_set_string (value, self->friendly_name);
      break;
    case PROP_COMMENT:
      g_value_set_string (value, self->comment);
      break;
    case PROP_PLATFORM:
      g_value_set_string (value, self->platform);
      break;
    case PROP_BOARD:
      g_value_set_string (value, self->board);
      break;
    case PROP_DEPLOYED_VERSION:
      g_value_set_string (value, self->deployed_version);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_device_config_class_init (EspyDeviceConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = espy_device_config_finalize;
  object_class->get_property = espy_device_config_get_property;

  properties[PROP_FILE] =
    g_param_spec_object ("file", NULL, NULL, G_TYPE_FILE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRIENDLY_NAME] =
    g_param_spec_string ("friendly-name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_COMMENT] =
    g_param_spec_string ("comment", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PLATFORM] =
    g_param_spec_string ("platform", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BOARD] =
    g_param_spec_string ("board", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEPLOYED_VERSION] =
    g_param_spec_string ("deployed-version", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
espy_device_config_init (EspyDeviceConfig *self)
{
  self->ota = g_ptr_array_new_with_free_func ((GDestroyNotify) espy_config_ota_free);
}

EspyDeviceConfig *
espy_device_config_new_for_file (GFile         *file,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  g_autoptr(EspyDeviceConfig) self = NULL;

  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (ESPY_TYPE_DEVICE_CONFIG, NULL);
  self->file = g_object_ref (file);
  self->file_name = g_file_get_basename (file);
  if (!load (self, cancellable, error))
    return NULL;
  return g_steal_pointer (&self);
}

/* ---- Accessors -------------------------------------------------------- */

GFile *
espy_device_config_get_file (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->file;
}

const char *
espy_device_config_get_file_name (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->file_name;
}

const char *
espy_device_config_get_name (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->name;
}

const char *
espy_device_config_get_friendly_name (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->friendly_name;
}

const char *
espy_device_config_get_comment (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->comment;
}

gboolean
espy_device_config_get_name_add_mac_suffix (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), FALSE);
  return self->name_add_mac_suffix;
}

gboolean
espy_device_config_matches_name (EspyDeviceConfig *self,
                                 const char       *node_name)
{
  gsize n;

  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), FALSE);
  g_return_val_if_fail (node_name != NULL, FALSE);

  if (g_ascii_strcasecmp (self->name, node_name) == 0)
    return TRUE;
  if (!self->name_add_mac_suffix)
    return FALSE;
  n = strlen (self->name);
  if (strlen (node_name) != n + 7 || g_ascii_strncasecmp (self->name, node_name, n) != 0
      || node_name[n] != '-')
    return FALSE;
  for (gsize i = n + 1; i < n + 7; i++)
    if (!g_ascii_isxdigit (node_name[i]))
      return FALSE;
  return TRUE;
}

const char *
espy_device_config_get_platform (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->platform;
}

const char *
espy_device_config_get_board (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->board;
}

guint
espy_device_config_get_n_ota (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), 0);
  return self->ota->len;
}

const EspyConfigOta *
espy_device_config_get_ota (EspyDeviceConfig *self,
                            guint             index)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  g_return_val_if_fail (index < self->ota->len, NULL);
  return g_ptr_array_index (self->ota, index);
}

const EspyConfigOta *
espy_device_config_find_ota (EspyDeviceConfig *self,
                             const char       *platform)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  g_return_val_if_fail (platform != NULL, NULL);

  for (guint i = 0; i < self->ota->len; i++)
    {
      const EspyConfigOta *ota = g_ptr_array_index (self->ota, i);

      if (g_strcmp0 (ota->platform, platform) == 0)
        return ota;
    }
  return NULL;
}

guint16
espy_device_config_get_ota_port (EspyDeviceConfig *self)
{
  const EspyConfigOta *ota;
  const char *p;

  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), 0);

  ota = espy_device_config_find_ota (self, "esphome");
  if (ota == NULL)
    return 0;
  if (ota->port != 0)
    return ota->port;
  p = self->platform != NULL ? self->platform : "";
  if (strcmp (p, "ESP32") == 0)
    return 3232;
  if (strcmp (p, "ESP8266") == 0)
    return 8266;
  if (strcmp (p, "RP2040") == 0)
    return 2040;
  if (strcmp (p, "LN882X") == 0)
    return 8820;
  if (strcmp (p, "host") == 0)
    return 8082;
  if (strcmp (p, "BK72XX") == 0 || strcmp (p, "RTL87XX") == 0 || strcmp (p, "LIBRETINY") == 0)
    return 8892;
  return 3232;
}

gboolean
espy_device_config_has_api (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), FALSE);
  return self->has_api;
}

guint16
espy_device_config_get_api_port (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), 0);
  return self->api_port;
}

const char *
espy_device_config_get_api_encryption_key (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->api_key;
}

const char *
espy_device_config_get_api_password (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->api_password;
}

gboolean
espy_device_config_has_web_server (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), FALSE);
  return self->has_web_server;
}

guint16
espy_device_config_get_web_server_port (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), 0);
  return self->web_port;
}

const char *
espy_device_config_get_web_server_username (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->web_username;
}

const char *
espy_device_config_get_web_server_password (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->web_password;
}

gboolean
espy_device_config_get_web_server_ota (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), FALSE);
  return self->web_ota;
}

const char *
espy_device_config_get_use_address (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->use_address;
}

const char *
espy_device_config_get_static_ip (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->static_ip;
}

const char *
espy_device_config_get_address (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->address;
}

gboolean
espy_device_config_has_safe_mode (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), FALSE);
  return self->safe_mode;
}

const char * const *
espy_device_config_get_remote_packages (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return (const char * const *) self->remote_packages;
}

const char * const *
espy_device_config_get_included_files (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return (const char * const *) self->included_files;
}

const char * const *
espy_device_config_get_warnings (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return (const char * const *) self->warnings;
}

gboolean
espy_device_config_has_storage (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), FALSE);
  return self->has_storage;
}

const char *
espy_device_config_get_deployed_version (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->deployed_version;
}

const char *
espy_device_config_get_firmware_bin_path (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->firmware_bin_path;
}

const char *
espy_device_config_get_storage_address (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->storage_address;
}

guint16
espy_device_config_get_storage_web_port (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), 0);
  return self->storage_web_port;
}

const char *
espy_device_config_get_storage_name (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->storage_name;
}

const char * const *
espy_device_config_get_loaded_integrations (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return (const char * const *) self->loaded_integrations;
}

const char *
espy_device_config_get_digest (EspyDeviceConfig *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);
  return self->digest;
}

static const char *
redact (const char *secret)
{
  return secret != NULL ? "(set)" : "(none)";
}

char *
espy_device_config_to_string (EspyDeviceConfig *self)
{
  GString *out;

  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (self), NULL);

  out = g_string_new (NULL);
  g_string_append_printf (out, "%s: name=%s friendly_name=%s platform=%s board=%s%s\n",
                          self->file_name, self->name,
                          self->friendly_name != NULL ? self->friendly_name : "",
                          self->platform != NULL ? self->platform : "?",
                          self->board != NULL ? self->board : "?",
                          self->name_add_mac_suffix ? " (+mac suffix)" : "");
  for (guint i = 0; i < self->ota->len; i++)
    {
      const EspyConfigOta *ota = g_ptr_array_index (self->ota, i);

      g_string_append_printf (out, "  ota[%u]: platform=%s port=%u version=%u password=%s", i,
                              ota->platform, ota->port, ota->version, redact (ota->password));
      if (ota->password_location != NULL && ota->password_location->secret_name != NULL)
        g_string_append_printf (out, " (!secret %s)", ota->password_location->secret_name);
      g_string_append_c (out, '\n');
    }
  if (self->has_api)
    g_string_append_printf (out, "  api: port=%u encryption_key=%s password=%s\n",
                            self->api_port, redact (self->api_key), redact (self->api_password));
  if (self->has_web_server)
    g_string_append_printf (out, "  web_server: port=%u ota=%s username=%s password=%s\n",
                            self->web_port, self->web_ota ? "true" : "false",
                            self->web_username != NULL ? self->web_username : "(none)",
                            redact (self->web_password));
  g_string_append_printf (out, "  address=%s safe_mode=%s\n", self->address, self->safe_mode ? "yes" : "no");
  if (self->has_storage)
    g_string_append_printf (out, "  deployed=%s firmware=%s\n",
                            self->deployed_version != NULL ? self->deployed_version : "?",
                            self->firmware_bin_path != NULL ? self->firmware_bin_path : "?");
  return g_string_free (out, FALSE);
}
