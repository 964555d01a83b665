#include "regress.h"
int main(void) { regress_check(1, "placeholder cache"); return regress_exit(); }
