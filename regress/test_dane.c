#include "regress.h"
int main(void) { regress_check(1, "placeholder dane"); return regress_exit(); }
