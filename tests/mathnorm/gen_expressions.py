#!/usr/bin/env python3
"""gen_expressions.py: assembles tests/mathnorm/expressions.txt, the LaTeX
corpus of the round-trip test (one expression per line).

Two parts: hand-written formulas from textbook mathematics (calculus,
algebra, probability, physics), and template combinations that cover each
construct the issue lists (fractions, roots, scripts, big operators with
limits, matrices and cases, accents, fonts, fences, \\text, arrays,
aligned) over varied atoms. Seeded, so the file is reproducible:
    python3 tests/mathnorm/gen_expressions.py > tests/mathnorm/expressions.txt
"""
import random

HAND = r"""
x^2+y^2=z^2
e^{i\pi}+1=0
\frac{-b\pm\sqrt{b^2-4ac}}{2a}
\int_0^\infty e^{-x^2}\,dx=\frac{\sqrt{\pi}}{2}
\sum_{n=1}^{\infty}\frac{1}{n^2}=\frac{\pi^2}{6}
\lim_{x\to 0}\frac{\sin x}{x}=1
f'(x)=\lim_{h\to 0}\frac{f(x+h)-f(x)}{h}
\nabla\cdot\mathbf{E}=\frac{\rho}{\varepsilon_0}
\nabla\times\mathbf{B}=\mu_0\mathbf{J}+\mu_0\varepsilon_0\frac{\partial\mathbf{E}}{\partial t}
P(A\mid B)=\frac{P(B\mid A)P(A)}{P(B)}
\binom{n}{k}=\frac{n!}{k!(n-k)!}
\det\begin{pmatrix}a&b\\c&d\end{pmatrix}=ad-bc
|x|=\begin{cases}x & x\geq 0\\ -x & x<0\end{cases}
\oint_{\partial S}\mathbf{F}\cdot d\mathbf{r}=\iint_S(\nabla\times\mathbf{F})\cdot d\mathbf{S}
\mathbb{E}[X]=\sum_{x}x\,p(x)
\operatorname{Var}(X)=\mathbb{E}[X^2]-\mathbb{E}[X]^2
\hat{H}\psi=E\psi
i\hbar\frac{\partial}{\partial t}\Psi=\hat{H}\Psi
\forall\epsilon>0\,\exists\delta>0
a\equiv b\pmod{n}
\gcd(a,b)=1
\log_2 n
\ln(1+x)=\sum_{k=1}^{\infty}\frac{(-1)^{k+1}}{k}x^k
\zeta(s)=\sum_{n=1}^{\infty}n^{-s}
\Gamma(z)=\int_0^\infty t^{z-1}e^{-t}\,dt
\cos^2\theta+\sin^2\theta=1
\tan\theta=\frac{\sin\theta}{\cos\theta}
A\cup B=\{x\mid x\in A\lor x\in B\}
A\cap B\subseteq A
\emptyset\subset\mathbb{N}\subset\mathbb{Z}\subset\mathbb{Q}\subset\mathbb{R}\subset\mathbb{C}
f:\mathbb{R}\to\mathbb{R}
x\mapsto x^2
\neg(p\land q)\iff\neg p\lor\neg q
p\implies q
\|x\|_2=\sqrt{\sum_i x_i^2}
\langle u,v\rangle=\sum_{i=1}^n u_i v_i
\lfloor x\rfloor\leq x<\lfloor x\rfloor+1
\lceil x\rceil
a_n=a_1+(n-1)d
S_n=\frac{n}{2}(a_1+a_n)
\prod_{p\text{ prime}}\frac{1}{1-p^{-s}}
\frac{d}{dx}\left(\frac{u}{v}\right)=\frac{u'v-uv'}{v^2}
\int u\,dv=uv-\int v\,du
\sigma=\sqrt{\frac{1}{N}\sum_{i=1}^N(x_i-\mu)^2}
\mathcal{L}\{f(t)\}=\int_0^\infty f(t)e^{-st}\,dt
\hat{f}(\xi)=\int_{-\infty}^{\infty}f(x)e^{-2\pi ix\xi}\,dx
\frac{\partial^2 u}{\partial t^2}=c^2\nabla^2 u
E=mc^2
F=G\frac{m_1m_2}{r^2}
\vec{F}=m\vec{a}
\mathbf{A}\mathbf{x}=\mathbf{b}
\mathbf{A}^{-1}\mathbf{A}=\mathbf{I}
\operatorname{tr}(AB)=\operatorname{tr}(BA)
\dim V+\dim W
\ker T
x\in[0,1]
(a,b]
\sup_{x\in S}f(x)
\inf_{n}a_n
\max_{1\leq i\leq n}x_i
\min\{a,b\}
\overline{z}=a-bi
\underbrace{1+1+\cdots+1}_{n}=n
\overbrace{a+b}^{c}
\widehat{abc}
\widetilde{xyz}
\overrightarrow{AB}
\dot{x}=v
\ddot{x}=-\omega^2x
\alpha\beta\gamma\delta\epsilon\zeta\eta\theta
\iota\kappa\lambda\mu\nu\xi\pi\rho\sigma\tau\upsilon\phi\chi\psi\omega
\Gamma\Delta\Theta\Lambda\Xi\Pi\Sigma\Upsilon\Phi\Psi\Omega
\varepsilon\vartheta\varpi\varrho\varsigma\varphi
\aleph_0<2^{\aleph_0}
\infty
\partial
\leftarrow\rightarrow\leftrightarrow\Leftarrow\Rightarrow\Leftrightarrow
\uparrow\downarrow\mapsto\hookrightarrow\longrightarrow
\leq\geq\neq\approx\equiv\sim\simeq\cong\propto
\ll\gg\prec\succ\subset\supset\in\ni\notin
\pm\mp\times\div\cdot\circ\bullet\oplus\otimes
\cap\cup\wedge\vee\setminus
\text{for all } x
x=1\text{ and }y=2
\text{if } n \text{ is even}
\begin{aligned}f(x)&=(x+1)^2\\&=x^2+2x+1\end{aligned}
\begin{aligned}a&=b+c\\d&=e\end{aligned}
\begin{array}{cc}1&2\\3&4\end{array}
\begin{array}{c|c}a&b\\c&d\end{array}
\begin{array}{lcr}x&y&z\end{array}
\begin{matrix}1&0\\0&1\end{matrix}
\begin{bmatrix}1&2&3\\4&5&6\end{bmatrix}
\begin{vmatrix}a&b\\c&d\end{vmatrix}
\begin{Vmatrix}x\end{Vmatrix}
\begin{Bmatrix}a\\b\end{Bmatrix}
\left(\frac{a}{b}\right)^2
\left[\int_0^1 f\right]
\left\{x\in\mathbb{R}:x>0\right\}
\left|\frac{1}{2}\right|
\left\langle\psi\middle|\phi\right\rangle
\left.\frac{df}{dx}\right|_{x=0}
\big(x\big)
\Big[y\Big]
\bigg\{z\bigg\}
\sqrt[3]{8}=2
\sqrt{\sqrt{x}}
\frac{1}{1+\frac{1}{x}}
x_{i,j}^{(k)}
{}_nC_k
a^{b^c}
e^{x^2}
10^{-3}
\mathbb{R}^n
\mathcal{O}(n\log n)
\mathfrak{g}
\mathsf{T}
\mathtt{code}
\mathrm{d}x
\mathit{diff}
\boldsymbol{\alpha}
\mathscr{L}
\sum_{i=0}^{n-1}i=\frac{n(n-1)}{2}
\int\limits_0^1 x\,dx
\sum\nolimits_i a_i
\iint_D f\,dA
\iiint_V\rho\,dV
\bigcup_{i=1}^\infty A_i
\bigcap_{i\in I}B_i
\bigoplus_{k}V_k
\coprod_{j}X_j
\lim_{n\to\infty}\left(1+\frac{1}{n}\right)^n=e
\lim\sup_{n}a_n
x\quad y\qquad z
a\,b\;c\!d
a\ b
\cdots\ldots\vdots\ddots
\angle ABC=90^\circ
\triangle ABC
\Re(z)\Im(z)
\hbar\ell\wp
\nabla f
\top\bot
\exists!x
\models\vdash
\square\Diamond
\star\ast\dagger\ddagger
\cancel{x}
\boxed{E=mc^2}
\phantom{x}y
\color{red}{x}
\displaystyle\sum_{i}x_i
\textstyle\frac{1}{2}
\dfrac{a}{b}
\tfrac{a}{b}
\tbinom{n}{2}
\dbinom{n}{2}
\stackrel{def}{=}
\overset{!}{=}
\underset{x}{\arg\min}
\xrightarrow{f}
\not\in
\not=
\pmod{p}
\bmod
n!
x'
x''
f'''(x)
\underline{x}
\overline{AB}
\vec{v}\cdot\vec{w}
\check{x}
\breve{x}
\acute{x}
\grave{x}
\mathring{A}
\tilde{n}
\bar{x}
"""

ATOMS = ["x", "y", "a", "b", "n", "k", "1", "2", "10", r"\alpha", r"\beta", r"\theta", r"\pi", "x+1",
         "a+b", "2x", r"x_i", r"x^2", r"\sin x", r"e^x", "n-1", r"\lambda", r"\omega t", "f(x)", r"\mu",
         r"\sigma^2", "m", "t", "z", r"\varphi"]
SIMPLE = ["x", "y", "a", "b", "n", "k", "i", "j", "t", "z", "A", "B", "X", "f", r"\alpha", r"\beta",
          r"\theta", r"\xi", r"\phi", r"\Omega", "m"]
NUMS = ["0", "1", "2", "3", "n", "N", r"\infty", "k", "m", "i"]

TEMPLATES = [
    r"\frac{{{a}}}{{{b}}}",
    r"\frac{{{a}}}{{{b}+{c}}}",
    r"\frac{{1}}{{\frac{{{a}}}{{{b}}}}}",
    r"\dfrac{{{a}}}{{{b}}}",
    r"\tfrac{{{a}}}{{{b}}}",
    r"\binom{{{a}}}{{{b}}}",
    r"\sqrt{{{a}}}",
    r"\sqrt[{s}]{{{a}}}",
    r"\sqrt{{{a}+{b}}}",
    r"{s}^{{{a}}}",
    r"{s}_{{{a}}}",
    r"{s}_{{{a}}}^{{{b}}}",
    r"{s}^{{{a}}}_{{{b}}}",
    r"{s}'",
    r"{s}^{{{a}}}+{t}^{{{b}}}",
    r"\sum_{{{s}={n1}}}^{{{n2}}} {a}",
    r"\prod_{{{s}={n1}}}^{{{n2}}} {a}",
    r"\int_{{{n1}}}^{{{n2}}} {a}\,d{s}",
    r"\oint_{{{t}}} {a}",
    r"\lim_{{{s}\to {n2}}} {a}",
    r"\max_{{{s}}} {a}",
    r"\bigcup_{{{s}={n1}}}^{{{n2}}} {t}_{{{s}}}",
    r"\sum_{{{s}}} {a}",
    r"\begin{{pmatrix}}{a} & {b}\\ {c} & {d}\end{{pmatrix}}",
    r"\begin{{bmatrix}}{a} & {b} & {c}\end{{bmatrix}}",
    r"\begin{{vmatrix}}{a} & {b}\\ {c} & {d}\end{{vmatrix}}",
    r"\begin{{matrix}}{a} & {b}\\ {c} & {d}\end{{matrix}}",
    r"\begin{{Bmatrix}}{a}\\ {b}\end{{Bmatrix}}",
    r"\begin{{cases}}{a} & {s}>0\\ {b} & \text{{otherwise}}\end{{cases}}",
    r"{s}=\begin{{cases}}{a}\\ {b}\end{{cases}}",
    r"\hat{{{s}}}",
    r"\bar{{{s}}}",
    r"\tilde{{{s}}}",
    r"\vec{{{s}}}",
    r"\dot{{{s}}}",
    r"\ddot{{{s}}}",
    r"\widehat{{{a}}}",
    r"\overline{{{a}}}",
    r"\underline{{{a}}}",
    r"\overbrace{{{a}+{b}}}^{{{t}}}",
    r"\underbrace{{{a}+{b}}}_{{{t}}}",
    r"\mathbb{{{U}}}",
    r"\mathcal{{{U}}}",
    r"\mathfrak{{{L}}}",
    r"\mathbf{{{L}}}",
    r"\mathrm{{{L}}}",
    r"\mathsf{{{L}}}",
    r"\mathbf{{{L}}}+\mathbb{{{U}}}",
    r"\left( {a} \right)",
    r"\left[ {a} \right]",
    r"\left\{{ {a} \right\}}",
    r"\left| {a} \right|",
    r"\left\langle {a},{b} \right\rangle",
    r"\left\lfloor {a} \right\rfloor",
    r"\left( \frac{{{a}}}{{{b}}} \right)",
    r"({a})",
    r"[{a},{b}]",
    r"\{{{a},{b}\}}",
    r"{a}\text{{ for }}{s}",
    r"\text{{{word}}}",
    r"{a}=\text{{{word}}}",
    r"\begin{{array}}{{cc}}{a} & {b}\\ {c} & {d}\end{{array}}",
    r"\begin{{array}}{{c|c}}{a} & {b}\end{{array}}",
    r"\begin{{array}}{{lr}}{a} & {b}\\ {c} & {d}\end{{array}}",
    r"\begin{{aligned}}{s} &= {a}\\ &= {b}\end{{aligned}}",
    r"\begin{{aligned}}{s} &= {a} & {t} &= {b}\end{{aligned}}",
    r"{a} {rel} {b}",
    r"{a} {op} {b} {rel} {c}",
    r"{s} {arrow} {t}",
    r"\{fn} {s}",
    r"\{fn}({a})",
    r"\{fn}^2 {s}",
    r"\operatorname{{{opname}}}({a})",
    r"{{{a}}}^{{{b}}}",
    r"e^{{-{a}}}",
    r"{s}_{{{s2}_{{{t}}}}}",
    r"{a}\quad {b}",
    r"{a}\,{b}",
    r"\frac{{\partial {a}}}{{\partial {s}}}",
    r"\frac{{d{s}}}{{d{t}}}",
    r"\left( {a} \middle| {b} \right)",
    r"\big( {a} \big)",
    r"\Big\{{ {a} \Big\}}",
]

RELS = ["=", "<", ">", r"\leq", r"\geq", r"\neq", r"\approx", r"\equiv", r"\sim", r"\in", r"\subset",
        r"\subseteq", r"\propto", r"\cong", r"\ll", r"\perp", r"\parallel", r"\mid", r"\notin"]
OPS = ["+", "-", r"\cdot", r"\times", r"\pm", r"\div", r"\cup", r"\cap", r"\oplus", r"\otimes", r"\circ",
       r"\wedge", r"\vee", r"\setminus", "/"]
ARROWS = [r"\to", r"\rightarrow", r"\Rightarrow", r"\leftrightarrow", r"\iff", r"\mapsto", r"\implies",
          r"\leftarrow", r"\Leftarrow", r"\longrightarrow", r"\hookrightarrow", r"\uparrow", r"\downarrow"]
FNS = ["sin", "cos", "tan", "log", "ln", "exp", "det", "sinh", "cosh", "arctan", "arcsin", "sec", "cot",
       "max", "min", "gcd", "deg", "dim", "ker", "arg", "sup", "inf"]
OPNAMES = ["rank", "span", "Tr", "sgn", "diag", "Res", "erf", "Hom", "lcm", "supp"]
UPPER = list("ABCDEFGHJKLMNPQRSTUVWXYZ")
LETTERS = list("abcdefghxyzuvw") + ["AB", "xy", "x1", "F"]
WORDS = ["if", "otherwise", "for all", "where", "and", "such that", "even", "odd", "else", "prime"]


def main():
    rnd = random.Random(20261128)
    out, seen = [], set()

    def add(e):
        e = e.strip()
        if e and e not in seen:
            seen.add(e)
            out.append(e)

    for line in HAND.strip().splitlines():
        add(line)
    rounds = 0
    while len(out) < 1100 and rounds < 100000:
        rounds += 1
        t = TEMPLATES[rounds % len(TEMPLATES)]
        e = t.format(a=rnd.choice(ATOMS), b=rnd.choice(ATOMS), c=rnd.choice(ATOMS), d=rnd.choice(ATOMS),
                     s=rnd.choice(SIMPLE), s2=rnd.choice(SIMPLE), t=rnd.choice(SIMPLE), n1=rnd.choice(NUMS),
                     n2=rnd.choice(NUMS), U=rnd.choice(UPPER), L=rnd.choice(LETTERS), rel=rnd.choice(RELS),
                     op=rnd.choice(OPS), arrow=rnd.choice(ARROWS), fn=rnd.choice(FNS),
                     opname=rnd.choice(OPNAMES), word=rnd.choice(WORDS))
        add(e)
    print("\n".join(out))


if __name__ == "__main__":
    main()
