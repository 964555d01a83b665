#include "regress.h"
int main(void) { regress_check(1, "placeholder http"); return regress_exit(); }
