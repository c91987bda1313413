/* schema.c - the column table of schema.h. */
#include "schema.h"

const struct csv_column csv_schema[CSV_NCOLS] = {
#define X(id, name, type, since) [CSV_COL_##id] = {name, type, since},
    CB_CSV_COLUMNS(X)
#undef X
};
