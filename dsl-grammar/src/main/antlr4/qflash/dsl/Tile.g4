/*
 * The qflash tile language: blocked attention written once, with no number system in it.
 * Element types in signatures name storage (`float` = whatever the pipeline picks);
 * the pipeline, not the source, decides whether the math runs in f64, f32 or integers.
 */
grammar Tile;

program     : annotation* KERNEL name=ID '(' params? ')' schedule? grid EOF ;

annotation  : '@' name=ID ;

params      : param (',' param)* ;
param       : name=ID ':' OUT? elem=ID '[' dims+=ID (',' dims+=ID)* ']' optional='?'?   # tensorParam
            | name=ID ':' SCALAR ('=' dflt=expr)?                                         # scalarParam
            ;

schedule    : SCHEDULE '{' tunable* '}' ;
tunable     : TUNABLE name=ID IN '{' cands+=INT (',' cands+=INT)* '}' '=' dflt=INT ';' ;

grid        : GRID '(' ids+=ID (',' ids+=ID)* ')' IN '(' extents+=expr (',' extents+=expr)* ')' block ;

block       : '{' stmt* '}' ;

stmt        : LET name=ID '=' expr ';'                                  # letStmt
            | VAR name=ID '=' expr ';'                                  # varStmt
            | name=ID '=' expr ';'                                      # assignStmt
            | FOR name=ID IN lo=expr '..' hi=expr block                 # forStmt
            | STORE target=ID '[' indices ']' '=' value=expr ';'        # storeStmt
            ;

indices     : index (',' index)* ;
index       : ':'          # fullIndex
            | NONE         # newAxisIndex
            | expr         # exprIndex
            ;

expr        : primary                                                   # primaryExpr
            | expr '[' indices ']'                                      # subscriptExpr
            | op=('-' | '!') expr                                       # unaryExpr
            | expr op=('*' | '/') expr                                  # mulExpr
            | expr op=('+' | '-') expr                                  # addExpr
            | expr op=('<' | '<=' | '>' | '>=' | '==' | '!=') expr      # cmpExpr
            | expr op='&&' expr                                         # andExpr
            | expr op='||' expr                                         # orExpr
            ;

primary     : INT                                                       # intLit
            | FLOAT                                                     # floatLit
            | INF                                                       # infLit
            | LOAD tensor=ID '[' indices ']'                            # loadExpr
            | fn=ID '(' (arg (',' arg)*)? ')'                           # callExpr
            | '[' expr (',' expr)* ']'                                  # listExpr
            | ID                                                        # nameExpr
            | '(' expr ')'                                              # parenExpr
            ;

arg         : (key=ID '=')? expr ;

KERNEL   : 'kernel' ;
SCHEDULE : 'schedule' ;
TUNABLE  : 'tunable' ;
GRID     : 'grid' ;
LET      : 'let' ;
VAR      : 'var' ;
FOR      : 'for' ;
IN       : 'in' ;
STORE    : 'store' ;
LOAD     : 'load' ;
OUT      : 'out' ;
SCALAR   : 'scalar' ;
NONE     : 'None' ;
INF      : 'inf' ;

ID       : [a-zA-Z_] [a-zA-Z_0-9]* ;
FLOAT    : [0-9]+ '.' [0-9]+ EXP? | [0-9]+ EXP ;
INT      : [0-9]+ ;
fragment EXP : [eE] [+-]? [0-9]+ ;

LINE_COMMENT  : '//' ~[\r\n]* -> skip ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;
WS            : [ \t\r\n]+ -> skip ;
// Anything else (including an unterminated /* comment) is one bad character the parser reports.
ERROR_CHAR    : . ;
