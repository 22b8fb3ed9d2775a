/* test_github_heuristics.c: Linguist-like disambiguation of shared
 * extensions through gh_language (.h C / C++ / Objective-C, .m Objective-C
 * / MATLAB, .pl Perl / Prolog, .ts TypeScript / Qt Linguist XML, and .pro,
 * .v, .fs, .cl, .d). The samples are typical files of each language, as in
 * Linguist's samples/ directory; without text the most common language of
 * the extension is kept. */
#include "crawl/github.h"
#include "tests/test.h"

static const char *lang(const char *path, const char *text) { return gh_language(path, text, strlen(text)); }

TEST(github_heuristics_h)
{
    CHECK_STR_EQ(lang("include/list.h", "#ifndef LIST_H\n#define LIST_H\n#include <stddef.h>\n"
                                        "struct list { struct list *next; };\nvoid list_add(struct list *l);\n#endif\n"),
                 "C");
    CHECK_STR_EQ(lang("src/vec.h", "#pragma once\n#include <vector>\n#include <string>\n"
                                   "std::vector<std::string> split(const std::string &s);\n"),
                 "C++");
    CHECK_STR_EQ(lang("src/shape.h", "#pragma once\nnamespace geo {\nclass Shape {\npublic:\n"
                                     "    virtual double area() const = 0;\n};\n}\n"),
                 "C++");
    CHECK_STR_EQ(lang("src/box.h", "#pragma once\ntemplate <typename T>\nstruct Box { T v; };\n"), "C++");
    CHECK_STR_EQ(lang("Classes/AppDelegate.h", "#import <UIKit/UIKit.h>\n\n@interface AppDelegate : UIResponder "
                                               "<UIApplicationDelegate>\n@property (strong, nonatomic) UIWindow *window;\n@end\n"),
                 "Objective-C");
    /* a C header that mentions "class" in a comment or as a member is C */
    CHECK_STR_EQ(lang("x.h", "/* the class of a token */\nstruct tok { int class_id; };\n"), "C");
    CHECK_STR_EQ(gh_language("x.h", NULL, 0), "C");
}

TEST(github_heuristics_m)
{
    CHECK_STR_EQ(lang("Classes/ViewController.m", "#import \"ViewController.h\"\n\n@implementation ViewController\n"
                                                   "- (void)viewDidLoad {\n    [super viewDidLoad];\n}\n@end\n"),
                 "Objective-C");
    CHECK_STR_EQ(lang("analysis/fit.m", "function [a, b] = fit(x, y)\n% FIT least squares line\n"
                                        "A = [x ones(size(x))];\ncoef = A \\ y;\na = coef(1); b = coef(2);\nend\n"),
                 "MATLAB");
    CHECK_STR_EQ(lang("scripts/plotdata.m", "% plot the data\nx = linspace(0, 1, 100);\nplot(x, sin(x));\n"),
                 "MATLAB");
    CHECK_STR_EQ(lang("src/hello.m", ":- module hello.\n:- interface.\n:- import_module io.\n"), "Mercury");
    CHECK_STR_EQ(gh_language("a.m", NULL, 0), "Objective-C");
}

TEST(github_heuristics_pl)
{
    CHECK_STR_EQ(lang("bin/tool.pl", "use strict;\nuse warnings;\n\nmy $x = shift;\nprint \"$x\\n\";\n"), "Perl");
    CHECK_STR_EQ(lang("family.pl", "parent(tom, bob).\nparent(bob, ann).\n"
                                   "grandparent(X, Z) :- parent(X, Y), parent(Y, Z).\n"),
                 "Prolog");
    CHECK_STR_EQ(lang("main.pl", ":- initialization(main).\nmain :- write('hello'), nl.\n"), "Prolog");
    CHECK_STR_EQ(lang("hello.pl", "use v6;\nsay 'Hello';\n"), "Raku");
    /* a Perl comment with ":-" in it */
    CHECK_STR_EQ(lang("x.pl", "#!/usr/bin/perl\n# smile :-)\nprint 1;\n"), "Perl");
}

TEST(github_heuristics_ts_and_others)
{
    CHECK_STR_EQ(lang("src/app.ts", "import { x } from './x';\nexport const y: number = x + 1;\n"), "TypeScript");
    CHECK_STR_EQ(lang("i18n/app_de.ts", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!DOCTYPE TS>\n"
                                        "<TS version=\"2.1\" language=\"de_DE\">\n<context>\n</context>\n</TS>\n"),
                 "XML");
    CHECK_STR_EQ(lang("app.pro", "QT += core gui\nTARGET = app\nTEMPLATE = app\nSOURCES += main.cpp\n"), "QMake");
    CHECK_STR_EQ(lang("rules.pro", "likes(mary, wine).\nlikes(john, X) :- likes(mary, X).\n"), "Prolog");
    CHECK_STR_EQ(lang("Nat.v", "Require Import Arith.\n\nTheorem plus_0 : forall n, n + 0 = n.\nProof.\n"
                               "  induction n; auto.\nQed.\n"),
                 "Coq");
    CHECK_STR_EQ(lang("alu.v", "module alu(input [3:0] a, b, output [3:0] y);\n  assign y = a + b;\nendmodule\n"),
                 "Verilog");
    CHECK_STR_EQ(lang("shader.fs", "#version 330 core\nout vec4 color;\nvoid main() { color = vec4(1.0); }\n"), "GLSL");
    CHECK_STR_EQ(lang("Program.fs", "open System\n\n[<EntryPoint>]\nlet main argv =\n    printfn \"hi\"\n    0\n"),
                 "F#");
    CHECK_STR_EQ(lang("util.cl", "(in-package :util)\n(defun square (x) (* x x))\n"), "Common Lisp");
    CHECK_STR_EQ(lang("kernel.cl", "__kernel void add(__global float *a) { a[get_global_id(0)] += 1.0f; }\n"),
                 "OpenCL");
    CHECK_STR_EQ(lang("build/main.d", "main.o: main.c util.h \\\n  config.h\n"), "Makefile");
    CHECK_STR_EQ(lang("source/app.d", "import std.stdio;\n\nvoid main() { writeln(\"hi\"); }\n"), "D");
}
