/* placeholder, replaced by the table-driven test */
#include "regress.h"
int main(void) { regress_check(1, "placeholder"); return regress_exit(); }
