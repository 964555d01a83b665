#!/bin/sh
echo "ok - cli placeholder"
