/* What a CREATE STAGE says, checked and turned into a catalog entry:
 * URL schemes, connection keys (with their legacy aliases), file format
 * options; and the DESC STAGE renderings, with every secret masked. */
#ifndef SP_SERVER_STAGE_OPTIONS_H
#define SP_SERVER_STAGE_OPTIONS_H

#include <stddef.h>

#include "protocol/stage_sql.h"
#include "server/catalog.h"

#define STAGE_COPY_OPTIONS_TEXT                                                                  \
    "CopyOptions { on_error: AbortNum(1), size_limit: 0, max_files: 0, split_size: 0, purge: "   \
    "false, single: false, max_file_size: 0, disable_variant_check: false, return_failed_only: " \
    "false, detailed_output: false }"

/* NULL with a Databend error (code, name, message) when the statement is invalid. */
struct stage_def *stage_options_build(const struct stage_stmt *st, char *why, size_t why_len,
                                      int *code, const char **code_name);
void stage_options_render_params(const struct stage_def *d, const char *data_dir, char *out,
                                 size_t len);
void stage_options_render_format(const struct stage_def *d, char *out, size_t len);

#endif
